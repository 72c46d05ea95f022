import { canonicalRegisteredResource, canonicalResource } from './resource-uri';

describe(canonicalResource.name, () => {
  it.each([
    ['https://api.example.com', 'https://api.example.com'],
    ['https://api.example.com/', 'https://api.example.com'],
    ['HTTPS://API.Example.COM/v1', 'https://api.example.com/v1'],
    ['https://api.example.com:443/v1/', 'https://api.example.com/v1/'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['https://api.example.com/a?b=c', 'https://api.example.com/a?b=c'],
  ])('%s is %s', (text, canonical) => {
    expect(canonicalResource(text)).toBe(canonical);
  });

  it.each([
    ['not a URI', 'api.example.com'],
    ['another scheme', 'ftp://api.example.com'],
    ['a URN', 'urn:latchkey:business:7d3f0c2e-5b1a-4c8e-9f6d-2a4b6c8e0f13'],
    ['a fragment', 'https://api.example.com/#x'],
    ['an empty fragment', 'https://api.example.com/#'],
    ['user information', 'https://user:pw@api.example.com'],
    ['a space', 'https://api.example.com/a b'],
    ['a line break', 'https://api.example.com/\nx'],
    ['too long', `https://api.example.com/${'a'.repeat(240)}`],
    ['empty', ''],
  ])('%s is refused', (_case, text) => {
    expect(canonicalResource(text)).toBeNull();
  });
});

describe(canonicalRegisteredResource.name, () => {
  it.each([
    ['https://MCP.Example.com:443/', 'https://mcp.example.com'],
    ['https://mcp.example.com/mcp', 'https://mcp.example.com/mcp'],
    ['http://localhost:8080/mcp', 'http://localhost:8080/mcp'],
    ['http://LOCALHOST', 'http://localhost'],
    ['http://127.0.0.1:3000', 'http://127.0.0.1:3000'],
    ['http://127.1:3000', 'http://127.0.0.1:3000'],
    ['http://[::1]:3000/', 'http://[::1]:3000'],
    ['http://[0:0:0:0:0:0:0:1]/', 'http://[::1]'],
  ])('%s is %s', (text, canonical) => {
    expect(canonicalRegisteredResource(text)).toBe(canonical);
  });

  it.each([
    ['plain http elsewhere', 'http://mcp.example.com'],
    ['plain http on a private address', 'http://10.0.0.1'],
    ['a name that only starts like loopback', 'http://localhost.example.com'],
    ['javascript:', 'javascript:alert(1)'],
    ['a fragment', 'https://mcp.example.com/#x'],
    ['user information', 'https://user@mcp.example.com'],
    ['too long', `https://mcp.example.com/${'a'.repeat(10_000)}`],
  ])('%s is refused', (_case, text) => {
    expect(canonicalRegisteredResource(text)).toBeNull();
  });
});
