import { normalizeHtu as sut } from './dpop-htu';

describe(sut.name, () => {
  it.each([
    ['https://api.example.com/v1/tokens', 'https://api.example.com/v1/tokens'],
    ['HTTPS://API.Example.COM/v1/tokens', 'https://api.example.com/v1/tokens'],
    ['https://api.example.com:443/v1/tokens', 'https://api.example.com/v1/tokens'],
    ['http://api.example.com:80/v1/tokens', 'http://api.example.com/v1/tokens'],
    ['http://api.example.com:8080/v1/tokens', 'http://api.example.com:8080/v1/tokens'],
    ['https://api.example.com/v1/tokens?a=1#b', 'https://api.example.com/v1/tokens'],
    ['https://api.example.com', 'https://api.example.com/'],
    ['https://api.example.com/v1/./x/../tokens', 'https://api.example.com/v1/tokens'],
    ['https://api.example.com/v1/%7e%2f%41', 'https://api.example.com/v1/~%2FA'],
    ['https://[::1]:443/t', 'https://[::1]/t'],
  ])('reads %s as %s', (value, expected) => {
    expect(sut(value)).toBe(expected);
  });

  it.each([
    'wss://api.example.com/v1/tokens',
    'ftp://api.example.com/v1/tokens',
    'javascript:alert(1)',
    'https://user:pass@api.example.com/v1/tokens',
    'https://user@api.example.com/v1/tokens',
    '/v1/tokens',
    'http://[bad',
    '',
  ])('refuses %j', (value) => {
    expect(sut(value)).toBeNull();
  });
});
