import type express from 'express';

/**
 * The parts of Express 5's router (the `router` package) read here: its
 * layers, each with the route it serves (if any), that route's methods, and
 * the layer's own path matcher. Express exports no types for them.
 */
interface RouterLayer {
  route?: { methods: Record<string, boolean | undefined> };
  match: (path: string) => unknown;
}

/**
 * The methods the app serves on `path`, upper case and sorted (`GET, HEAD`
 * for a GET route, since Express answers HEAD with it), or none when no
 * route matches the path. It asks the app's own router, so the raw pages
 * (`/docs`, `/metrics`) count as the declared routes do, and a route's path
 * is matched exactly as Express matches it.
 */
export function allowedMethods(app: express.Express, path: string): string[] {
  const stack = (app.router as unknown as { stack: RouterLayer[] }).stack;
  const methods = new Set<string>();
  for (const layer of stack) {
    if (!layer.route) continue;
    let matched: unknown;
    try {
      matched = layer.match(path);
    } catch {
      // A path segment that does not decode (`%E0`) matches no route.
      continue;
    }
    if (!matched) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && method !== '_all') methods.add(method.toUpperCase());
    }
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
