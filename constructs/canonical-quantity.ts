/**
 * A quantity as the API server writes it back (apimachinery `Quantity.CanonicalizeBytes`): a
 * default of `0.5` is stored as `500m`, `1024Mi` as `1Gi`. The Argo CD ignoreDifferences entries
 * compare live values with the defaults, so they must use the form the live object shows.
 *
 * - Binary-SI input (`Ki`…`Ei`) stays binary when the value is a whole number of at least 1024:
 *   the largest power of 1024 that divides it (`1536Mi` → `1536Mi`, `2048Mi` → `2Gi`); otherwise
 *   it is written as decimal SI (`0.5Ki` → `512`).
 * - Decimal input: the value rounded up to nano units, then the largest power of 1000 (down to n,
 *   up to E) that leaves a whole mantissa (`0.1` → `100m`, `2000` → `2k`); exponent input
 *   (`1e3`) keeps the exponent form (`1e3`).
 * Pure; undefined for text that is not a quantity.
 */
import { parseQuantity } from '../runtime/engine/quantity';

const BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;
const DECIMAL: Readonly<Record<number, string>> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };

export function canonicalQuantity(text: string): string | undefined {
  const parsed = parseQuantity(text);
  if (!parsed.ok) return undefined;
  const { numerator, denominator } = parsed.quantity;
  if (numerator === 0n) return '0';
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const sign = negative ? '-' : '';
  if (/[KMGTPE]i$/.test(text) && n % denominator === 0n && n / denominator >= 1024n) {
    let mantissa = n / denominator;
    let power = 0;
    while (power < BINARY.length - 1 && mantissa % 1024n === 0n) {
      mantissa /= 1024n;
      power += 1;
    }
    return `${sign}${mantissa}${BINARY[power]}`;
  }
  // Rounded up to nano units, as the API server stores quantities.
  const nanos = n * 10n ** 9n;
  let mantissa = nanos / denominator + (nanos % denominator === 0n ? 0n : 1n);
  let exponent = -9;
  while (exponent < 18 && mantissa % 1000n === 0n) {
    mantissa /= 1000n;
    exponent += 3;
  }
  const exponentForm = /[eE][+-]?\d+$/.test(text);
  const suffix = exponentForm ? (exponent === 0 ? '' : `e${exponent}`) : DECIMAL[exponent];
  return `${sign}${mantissa}${suffix}`;
}
