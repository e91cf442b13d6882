/**
 * Something a describe block starts in a hook (a server, an app), returned at once so its tests
 * can name it: each use reaches what `current()` gives at that moment. Spreading it (`{ ...services }`)
 * and calling its methods work as on the thing itself; used before the hook has run, it says so.
 */
export function standIn<T extends object>(current: () => T | undefined, what: string): T {
  const started = (): T => {
    const value = current();
    if (!value)
      throw new Error(`${what} starts in a beforeAll or beforeEach hook: use it inside tests and hooks`);
    return value;
  };
  return new Proxy({} as T, {
    get(_, key) {
      const target = started();
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set: (_, key, value) => Reflect.set(started(), key, value),
    has: (_, key) => Reflect.has(started(), key),
    ownKeys: () => Reflect.ownKeys(started()),
    getOwnPropertyDescriptor(_, key) {
      const descriptor = Reflect.getOwnPropertyDescriptor(started(), key);
      // A proxy may report a property its (empty) target lacks only as configurable.
      return descriptor ? { ...descriptor, configurable: true } : undefined;
    },
  });
}
