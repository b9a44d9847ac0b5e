import { originOf, sameHostWriteApiUrl } from './write-api-url';

describe('the write API on the page host', () => {
  it.each([
    ['localhost:8081', 'http://localhost:8080'],
    ['Shop.Example.com', 'http://shop.example.com:8080'],
    ['10.0.0.7:8081', 'http://10.0.0.7:8080'],
    ['[::1]:8081', 'http://[::1]:8080'],
    ['[2001:DB8::1]', 'http://[2001:db8::1]:8080'],
  ])('takes the host name of %s', (host, url) => {
    expect(sameHostWriteApiUrl('http', host, 8080)).toBe(url);
  });

  it.each([undefined, '', 'user@host', 'host/path', 'a b', 'host:port', '-bad.example', '[zz]', '300.1.1.1'])(
    'falls back to localhost for the Host %p',
    (host) => {
      expect(sameHostWriteApiUrl('https', host, 8443)).toBe('https://localhost:8443');
    },
  );

  it('drops the default port, as an origin is written', () => {
    expect(sameHostWriteApiUrl('https', 'shop.example', 443)).toBe('https://shop.example');
    expect(originOf('https://api.example/write')).toBe('https://api.example');
  });
});
