/**
 * The API7 version the sandbox imitates, and the behaviour that depends on it: the two API
 * generations (legacy before 3.6, modern from 3.6) and the smaller gates inside them.
 */
export type Generation = 'legacy' | 'modern';

/** A version as numbers, `dev` being newer than any release (as ADC reads it). */
export class Api7Version {
  readonly parts: number[];

  constructor(readonly text: string) {
    if (text === 'dev') {
      this.parts = [999, 999, 999];
      return;
    }
    const parts = text.split('.').map(Number);
    if (parts.length < 2 || parts.some((p) => !Number.isInteger(p) || p < 0)) {
      throw new Error(`api7Version "${text}" is not a version such as 3.5.0 or 3.9.0`);
    }
    this.parts = parts;
  }

  /** Compares numerically, component by component: API7 versions have four parts (3.2.14.6). */
  atLeast(other: string): boolean {
    const want = other.split('.').map(Number);
    for (let i = 0; i < Math.max(want.length, this.parts.length); i++) {
      const a = this.parts[i] ?? 0;
      const b = want[i] ?? 0;
      if (a !== b) return a > b;
    }
    return true;
  }

  get generation(): Generation {
    return this.atLeast('3.6') ? 'modern' : 'legacy';
  }

  /** What differs between releases, in one place. */
  get features() {
    return {
      /** `GET/PUT /apisix/admin/services/{id}/upstreams` (ADC asks for them from 3.5.0). */
      serviceUpstreams: this.atLeast('3.5'),
      /** Consumer credentials as their own resource. */
      credentials: this.atLeast('3.2.15'),
      /** The upstream's health `checks` carry APISIX's defaults in the schema (before 3.6). */
      healthCheckDefaults: !this.atLeast('3.6'),
      /** `strip_path_prefix: true` is filled in on services. */
      stripPathPrefixDefault: this.atLeast('3.6'),
      /** Route defaults (`priority: 0`, timeouts) and the full `schema/core` resource list. */
      routeDefaults: this.atLeast('3.8'),
      /** `POST /apisix/admin/configs/validate`. */
      validate: this.atLeast('3.9.10'),
    };
  }
}
