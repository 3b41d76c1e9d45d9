/**
 * Sigstore trusted roots: by name from the bundle's `trust.trustedRoots` (air-gapped clusters),
 * or the public-good root that ships inside @sigstore/tuf (its `seeds.json`), never fetched
 * online. Parsed once per name and turned into @sigstore/verify trust material.
 */
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type KeyFinderFunc, type TrustMaterial } from '@sigstore/verify';
import { ImageConfigError } from './errors';

export const PUBLIC_GOOD = 'public-good';
const TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';

let publicGood: TrustedRoot | undefined;

/** The public-good trusted_root.json embedded in @sigstore/tuf's seeds.json. */
export function publicGoodTrustedRoot(): TrustedRoot {
  if (!publicGood) {
    const seeds = JSON.parse(readFileSync(require.resolve('@sigstore/tuf/seeds.json'), 'utf8')) as Record<
      string,
      { targets?: Record<string, string> }
    >;
    const b64 = seeds[TUF_MIRROR]?.targets?.['trusted_root.json'];
    if (!b64) throw new ImageConfigError('@sigstore/tuf seeds.json has no trusted_root.json');
    publicGood = TrustedRoot.fromJSON(JSON.parse(Buffer.from(b64, 'base64').toString('utf8')));
  }
  return publicGood;
}

export class TrustRoots {
  private readonly roots = new Map<string, TrustedRoot>();
  private readonly materials = new Map<string, TrustMaterial>();
  private readonly keyMaterials = new Map<string, TrustMaterial>();

  constructor(private readonly configured: Readonly<Record<string, unknown>> = {}) {}

  root(name: string | undefined): TrustedRoot {
    const key = name ?? PUBLIC_GOOD;
    let root = this.roots.get(key);
    if (!root) {
      if (name === undefined) {
        root = publicGoodTrustedRoot();
      } else {
        const json = this.configured[name];
        if (json === undefined) throw new ImageConfigError(`trusted root "${name}" is not in the bundle's trust.trustedRoots`);
        try {
          root = TrustedRoot.fromJSON(json);
        } catch (err) {
          throw new ImageConfigError(`trusted root "${name}" is invalid: ${(err as Error).message}`);
        }
      }
      this.roots.set(key, root);
    }
    return root;
  }

  /** Trust material for keyless verification (CAs, tlogs, CT logs of the root). */
  material(name: string | undefined): TrustMaterial {
    const key = name ?? PUBLIC_GOOD;
    let material = this.materials.get(key);
    if (!material) {
      material = toTrustMaterial(this.root(name));
      this.materials.set(key, material);
    }
    return material;
  }

  /**
   * Trust material whose public-key lookup answers with one attestor key (key + tlog checks),
   * cached per (root, key).
   */
  materialWithKey(name: string | undefined, keyPem: string, key: KeyObject): TrustMaterial {
    const cacheKey = `${name ?? PUBLIC_GOOD}|${keyPem}`;
    let material = this.keyMaterials.get(cacheKey);
    if (!material) {
      const finder: KeyFinderFunc = () => ({ publicKey: key, validFor: () => true });
      material = toTrustMaterial(this.root(name), finder);
      if (this.keyMaterials.size > 256) this.keyMaterials.clear();
      this.keyMaterials.set(cacheKey, material);
    }
    return material;
  }
}
