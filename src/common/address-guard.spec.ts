import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import {
  guardedLookup,
  isForbiddenAddress,
  MAX_URL_LENGTH,
  resolveTarget,
  TargetRefused,
  urlProblem,
  type TargetPolicy,
} from './address-guard';

const strict: TargetPolicy = { allowHttp: false, allowPrivate: false };
const http: TargetPolicy = { allowHttp: true, allowPrivate: false };
const local: TargetPolicy = { allowHttp: true, allowPrivate: true };

describe(isForbiddenAddress.name, () => {
  const sut = isForbiddenAddress;

  it.each([
    // loopback
    '127.0.0.1',
    '127.255.255.254',
    '::1',
    '[::1]',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '[::ffff:127.0.0.1]',
    '::127.0.0.1',
    '::7f00:1',
    '::ffff:0:7f00:1',
    '64:ff9b::7f00:1',
    '64:ff9b::127.0.0.1',
    '2002:7f00:1::1',
    '127.1',
    '0x7f.1',
    '2130706433',
    // unspecified
    '0.0.0.0',
    '0.1.2.3',
    '::',
    '::ffff:0.0.0.0',
    // private, RFC 1918 and fc00::/7
    '10.1.2.3',
    '192.168.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '::ffff:10.1.2.3',
    '::ffff:c0a8:1',
    '64:ff9b::a01:203',
    '2002:c0a8:1::',
    'fc00::1',
    'fdff:ffff::1',
    // link-local
    '169.254.0.1',
    '::ffff:169.254.0.1',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    // carrier-grade NAT
    '100.64.0.1',
    '100.127.255.255',
    '::ffff:100.64.0.1',
    // multicast and broadcast
    '224.0.0.1',
    '239.255.255.250',
    'ff02::1',
    'ff0e::1',
    '::ffff:224.0.0.1',
    '255.255.255.255',
    '::ffff:255.255.255.255',
    // reserved, documentation and other special-purpose space
    '240.0.0.1',
    '192.0.2.1',
    '198.18.0.1',
    '2001:db8::1',
    'fec0::1',
    '100::1',
    '2001::1',
    '64:ff9b:1::1',
    '3fff::1',
    '4000::1',
    // the metadata endpoints
    '169.254.169.254',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a9fe:a9fe',
    '2002:a9fe:a9fe::',
    'fd00:ec2::254',
    '[fd00:ec2::254]',
    '100.100.100.200',
    // not an address at all
    '',
    'localhost',
    'example.com',
    '1.2.3.4.5',
    '[::1',
  ])('forbids %s', (ip) => {
    expect(sut(ip)).toBe(true);
  });

  it.each([
    '93.184.215.14',
    '2606:2800:21f:cb07:6820:80da:af6b:8b2c',
    '[2606:2800:21f:cb07:6820:80da:af6b:8b2c]',
    '8.8.8.8',
    '1.1.1.1',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '172.32.0.1',
    '100.128.0.1',
    '169.255.0.1',
  ])('allows %s', (ip) => {
    expect(sut(ip)).toBe(false);
  });

  // The attacker's move: spell a forbidden IPv4 address as one of the IPv6 forms that reach it.
  it('judges every IPv6 spelling of an IPv4 address as that address', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const [a, b, c, d] = ip.split('.').map(Number);
        const high = ((a << 8) | b).toString(16);
        const low = ((c << 8) | d).toString(16);
        const verdict = sut(ip);
        for (const form of [
          `::ffff:${ip}`,
          `::ffff:${high}:${low}`,
          `::${ip}`,
          `::ffff:0:${high}:${low}`,
          `64:ff9b::${high}:${low}`,
          `2002:${high}:${low}::1`,
        ]) {
          expect([form, sut(form)]).toEqual([form, verdict]);
        }
      }),
      { seed: 4242, numRuns: 1000 },
    );
  });

  it('forbids every address inside the forbidden IPv4 blocks', () => {
    const blocks: [number, number, number][] = [
      [0, 0, 8],
      [10, 0, 8],
      [100, 64, 10],
      [127, 0, 8],
      [169, 254, 16],
      [172, 16, 12],
      [192, 168, 16],
      [224, 0, 3],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...blocks),
        fc.integer({ min: 0, max: 0xffffffff }),
        ([first, second, bits], random) => {
          const base = ((first << 24) | (second << 16)) >>> 0;
          const hostBits = 32 - bits;
          const value = (base + (random % 2 ** hostBits)) >>> 0;
          const ip = [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join(
            '.',
          );
          expect([ip, sut(ip)]).toEqual([ip, true]);
        },
      ),
      { seed: 4243, numRuns: 3000 },
    );
  });
});

describe(urlProblem.name, () => {
  const sut = urlProblem;
  const long = (length: number) => {
    const prefix = 'https://example.com/';
    return prefix + 'a'.repeat(length - prefix.length);
  };

  it.each<[string, TargetPolicy, string | null]>([
    ['https://example.com/hook', strict, null],
    ['https://example.com:8443/hook?x=1', strict, null],
    ['https://93.184.215.14/hook', strict, null],
    ['https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/', strict, null],
    ['not a url', strict, 'the URL must not contain spaces or control characters'],
    [' https://example.com/', strict, 'the URL must not contain spaces or control characters'],
    ['https://exa\nmple.com/', strict, 'the URL must not contain spaces or control characters'],
    ['https://example.com/\t', strict, 'the URL must not contain spaces or control characters'],
    ['https://example.com/\x7f', strict, 'the URL must not contain spaces or control characters'],
    ['example.com/hook', strict, 'the URL must be an absolute URL'],
    ['/hook', strict, 'the URL must be an absolute URL'],
    ['//example.com/hook', strict, 'the URL must be an absolute URL'],
    ['https://', strict, 'the URL must be an absolute URL'],
    ['https://exa mple.com', strict, 'the URL must not contain spaces or control characters'],
    ['http://example.com/', strict, 'the URL must use https'],
    ['http://example.com/', http, null],
    ['ftp://example.com/', strict, 'the URL must use https'],
    ['ftp://example.com/', http, 'the URL must use http or https'],
    ['file:///etc/passwd', http, 'the URL must use http or https'],
    ['javascript:alert(1)', http, 'the URL must use http or https'],
    ['HTTPS://EXAMPLE.COM/', strict, null],
    [
      'https://user:secret@example.com/',
      strict,
      'the URL must not contain a user name or password',
    ],
    ['https://user@example.com/', strict, 'the URL must not contain a user name or password'],
    ['https://:secret@example.com/', strict, 'the URL must not contain a user name or password'],
    ['https://example.com/#part', strict, 'the URL must not contain a fragment'],
    ['https://example.com/#', strict, 'the URL must not contain a fragment'],
    ['https://evil.example#@example.com/', strict, 'the URL must not contain a fragment'],
    ['https://127.0.0.1/', strict, 'the URL must not point to a private or reserved address'],
    ['https://127.0.0.1/', local, null],
    ['https://0x7f.1/', strict, 'the URL must not point to a private or reserved address'],
    ['https://2130706433/', strict, 'the URL must not point to a private or reserved address'],
    ['https://[::1]/', strict, 'the URL must not point to a private or reserved address'],
    ['https://[::ffff:7f00:1]/', strict, 'the URL must not point to a private or reserved address'],
    ['https://169.254.169.254/', strict, 'the URL must not point to a private or reserved address'],
    ['https://[fd00:ec2::254]/', strict, 'the URL must not point to a private or reserved address'],
    // A name is judged after DNS, by resolveTarget and at connect time.
    ['https://localhost/', strict, null],
  ])('%s under %j: %j', (url, policy, expected) => {
    expect(sut(url, policy)).toBe(expected);
  });

  it('takes a URL of 2048 characters and refuses one longer', () => {
    expect(sut(long(MAX_URL_LENGTH), strict)).toBeNull();
    expect(sut(long(MAX_URL_LENGTH + 1), strict)).toBe('the URL must be at most 2048 characters');
  });

  it('never echoes the URL into its message', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 3000 }), fc.webUrl({ withFragments: true }), (a, b) => {
        for (const url of [a, `${b}${a}`, `https://u:MARKER@x.example/${a}`]) {
          const message = sut(url, strict);
          if (message === null) continue;
          expect(message.length).toBeLessThanOrEqual(80);
          expect(message).not.toContain('MARKER');
          if (url.length > 8) expect(message).not.toContain(url);
        }
      }),
      { seed: 4244, numRuns: 300 },
    );
  });
});

describe(resolveTarget.name, () => {
  const sut = resolveTarget;

  it('refuses a name that resolves to loopback, unless private targets are allowed', async () => {
    await expect(sut('http://localhost:1/', http)).rejects.toThrow(
      new TargetRefused('the host name resolves to a private or reserved address'),
    );
    const addresses = await sut('http://localhost:1/', local);
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.every(isForbiddenAddress)).toBe(true);
  });

  it('judges an IP literal without DNS', async () => {
    await expect(sut('https://[::ffff:127.0.0.1]/', strict)).rejects.toBeInstanceOf(TargetRefused);
    await expect(sut('https://[::1]:8443/', local)).resolves.toEqual(['::1']);
    await expect(sut('https://93.184.215.14/', strict)).resolves.toEqual(['93.184.215.14']);
  });

  it('refuses a URL that breaks a rule, with the rule as the message', async () => {
    await expect(sut('http://example.com/', strict)).rejects.toThrow(
      new TargetRefused('the URL must use https'),
    );
  });

  it('refuses a name that does not resolve', async () => {
    await expect(sut('https://nothing-here.invalid/', local)).rejects.toThrow(
      new TargetRefused('the host name does not resolve'),
    );
  });
});

describe(guardedLookup.name, () => {
  let server: Server;
  let port: number;
  let connections: number;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    server.on('connection', () => connections++);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  beforeEach(() => {
    connections = 0;
  });

  afterAll(async () => {
    server.close();
    await once(server, 'close');
  });

  // `localhost` rather than 127.0.0.1: Node skips `lookup` for an IP literal host.
  function get(policy: TargetPolicy): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: 'localhost', port, family: 4, agent: false, lookup: guardedLookup(policy) },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('fails the connection to a loopback address with TargetRefused', async () => {
    const error: unknown = await get({ allowHttp: true, allowPrivate: false }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TargetRefused);
    expect(connections).toBe(0);
  });

  it('connects when private targets are allowed', async () => {
    await expect(get(local)).resolves.toBe(200);
    expect(connections).toBe(1);
  });

  it('answers in the shape asked for, one address or all', async () => {
    const sut = guardedLookup(local);
    const one = await new Promise<unknown[]>((resolve) =>
      sut('localhost', { family: 4 }, (...args) => resolve(args)),
    );
    expect(one).toEqual([null, '127.0.0.1', 4]);
    const all = await new Promise<unknown[]>((resolve) =>
      sut('localhost', { family: 4, all: true }, (...args) => resolve(args)),
    );
    expect(all).toEqual([null, [{ address: '127.0.0.1', family: 4 }]]);
  });
});
