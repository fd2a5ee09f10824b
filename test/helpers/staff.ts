import type { RunningApp } from '../../src/core/app/app';
import { createStaffDomain } from '../../src/service/staff';
import { ACCESS } from '../../src/domains';
import { baseUrl } from './app';

export interface LoggedIn {
  id: number;
  token: string;
  /** Headers for an authenticated JSON request. */
  headers: Record<string, string>;
}

let counter = 0;

/** Creates a staff member with these roles in the app's database and logs them in over HTTP. */
export async function loginAs(app: RunningApp, roles: string[], username?: string): Promise<LoggedIn> {
  counter += 1;
  const name = username ?? `staff-${process.pid}-${Date.now()}-${counter}`;
  const password = `pw-${name}-secret`;
  const { staff } = createStaffDomain(app.resources.sequelize, app.resources.redis, app.resources.config.auth, ACCESS);
  const profile = await staff.upsert({ username: name, password, roles });
  const res = await fetch(`${baseUrl(app)}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: name, password }),
  });
  const body = (await res.json()) as { data: { token: string } };
  if (res.status !== 200) throw new Error(`login of ${name} failed with ${res.status}: ${JSON.stringify(body)}`);
  const token = body.data.token;
  return { id: profile.id, token, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } };
}

/** A JSON request to the app; returns status, body and headers. */
export async function call<T = unknown>(
  app: RunningApp,
  method: string,
  path: string,
  who?: LoggedIn,
  body?: unknown,
): Promise<{ status: number; body: { code: number; msg: string; data: T; request_id?: string }; headers: Headers }> {
  const res = await fetch(`${baseUrl(app)}${path}`, {
    method,
    headers: who?.headers ?? { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as never, headers: res.headers };
}
