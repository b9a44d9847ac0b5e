import type { Container, ServiceIdentifier } from 'inversify';

/** Binds lazily built singletons: `single(id, (get) => new Thing(get(Dep)))`. */
export const singletons =
  (container: Container) =>
  <T>(id: ServiceIdentifier<T>, build: (get: <U>(dep: ServiceIdentifier<U>) => U) => T): void => {
    container
      .bind<T>(id)
      .toDynamicValue((context) => build((dep) => context.get(dep)))
      .inSingletonScope();
  };
