// One typed request function for the server extension (echoes.server) under
// <base_url>/echoes/: the server's cookie and XSRF token authenticate the browser.

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { errorMessage } from './model';

/** The server extension or a service behind it refused: HTTP status and its message. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown
  ) {
    super(message);
  }
}

export interface Reply<T> {
  data: T;
  etag: string | null;
}

export function apiUrl(path: string): string {
  const settings = ServerConnection.makeSettings();
  return URLExt.join(settings.baseUrl, 'echoes', path);
}

export async function request<T>(path: string, init: RequestInit = {}): Promise<Reply<T>> {
  const settings = ServerConnection.makeSettings();
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(apiUrl(path), init, settings);
  } catch (error) {
    throw new ServiceError(0, `cannot reach your server: ${error}`, null);
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text for the message
  }
  if (!response.ok) {
    throw new ServiceError(response.status, errorMessage(response.status, body), body);
  }
  return { data: body as T, etag: response.headers.get('ETag') };
}

export async function requestJSON<T>(path: string, init: RequestInit = {}): Promise<T> {
  return (await request<T>(path, init)).data;
}

export function sendJSON(method: string, body: unknown, headers: Record<string, string> = {}) {
  return {
    method,
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/ld+json', ...headers }
  };
}
