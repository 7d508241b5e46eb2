import { request } from 'node:http';

export interface RawResponse {
  status: number;
  json: { error?: { code?: string; param?: string; type?: string } };
}

/**
 * A request exactly as written, where `fetch` would normalize it: `headers` is a flat
 * [name, value, …] list sent in order (a header may repeat), `target` goes out unparsed.
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  target: string,
  headers: string[] = [],
  body?: string,
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path: target, headers: ['Host', url.host, ...headers] },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => {
          let json = {};
          try {
            json = text ? JSON.parse(text) : {};
          } catch {}
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
