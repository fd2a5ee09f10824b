/** A handler method as the generated processor calls it. */
export type Method = (...args: unknown[]) => unknown;

/**
 * The names of a handler's methods: its own and those of its prototypes
 * (where a class instance keeps them), the constructor aside.
 */
export function methodNames(impl: object): string[] {
  const target = impl as Record<string, unknown>;
  const names = new Set<string>();
  for (
    let proto: object | null = impl;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && typeof target[name] === 'function') names.add(name);
    }
  }
  return [...names];
}

/**
 * A handler whose methods are `wrap(name, method)`, or the method itself
 * (bound to `impl`) where wrap returns undefined. Each wrapper keeps its
 * method's arity and name: the generated processor reads `fn.length` to
 * choose between its callback and promise styles.
 */
export function wrapMethods<H extends object>(impl: H, wrap: (name: string, method: Method) => Method | undefined): H {
  const target = impl as unknown as Record<string, Method>;
  const wrapped: Record<string, Method> = {};
  for (const name of methodNames(impl)) {
    const method = target[name] as Method;
    const fn = wrap(name, method);
    if (!fn) {
      // bind keeps the length.
      wrapped[name] = method.bind(impl);
      continue;
    }
    Object.defineProperty(fn, 'length', { value: method.length });
    Object.defineProperty(fn, 'name', { value: name });
    wrapped[name] = fn;
  }
  return wrapped as H;
}
