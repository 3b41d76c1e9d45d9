/**
 * `portcullis exemptions`: the exemption inventory of a bundle (a file, default
 * dist/portcullis-bundle.json) or of the policy app synthesized on the fly (`--policies`), for
 * auditors and a scheduled CI job: policy, exemption, owner, reason, scope, controls, expiry and
 * days left (runtime/report/exemption-inventory.ts).
 */
import { DEFAULT_BUNDLE, DEFAULT_POLICY_APP, loadBundleFile, synthesizeBundle } from './bundle-source';
import { parseCommandArgs, usageFailure } from './command-args';
import { InputError } from './input';
import type { Command } from './main';
import { DAY_MS } from '../engine/exemption-use';
import {
  buildInventory,
  DEFAULT_WINDOW_MS,
  expiringCount,
  renderInventoryJson,
  renderInventoryMarkdown,
  renderInventoryTable,
} from '../report/exemption-inventory';

const USAGE = `usage: portcullis exemptions [BUNDLE] [options]
       portcullis exemptions --policies [${DEFAULT_POLICY_APP}] [options]

  Lists every exemption of the bundle: policy, exemption, owner, reason, scope (namespaces,
  selectors), controls (images, field values), expiry and days left; soonest expiry first.

  --bundle FILE             rule bundle (default ${DEFAULT_BUNDLE}; also the positional BUNDLE)
  --policies [APP]          synthesize the policy app (default ${DEFAULT_POLICY_APP}) in memory instead
  -o, --output FORMAT       table (default), json or markdown
  --now TIME                RFC 3339 clock for expiry and days left (default: now)
  --expiring-within DUR     list only exemptions that expire within DUR or have expired
                            (DUR: 30d, 2w, 12h; also the window of --fail-if-expiring, default 30d)
  --fail-if-expiring        exit 1 when a listed exemption expires within the window or has expired

exit status: 0 = listed (nothing tripped --fail-if-expiring), 1 = --fail-if-expiring tripped,
             2 = usage error or an unreadable bundle / policy app
`;

const FORMATS = ['table', 'json', 'markdown'] as const;
type Format = (typeof FORMATS)[number];

const UNIT_MS: Record<string, number> = { h: 60 * 60 * 1000, d: DAY_MS, w: 7 * DAY_MS };

/** `30d`, `2w`, `12h` → milliseconds; undefined when malformed. */
export function parseWindow(text: string): number | undefined {
  const m = /^(\d+)([hdw])$/.exec(text);
  if (m === null) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('exemptions', USAGE, argv, {
    bundle: { type: 'string' },
    policies: { type: 'boolean', default: false },
    output: { type: 'string', short: 'o', default: 'table' },
    now: { type: 'string' },
    'expiring-within': { type: 'string' },
    'fail-if-expiring': { type: 'boolean', default: false },
  });
  if (typeof parsed === 'number') return Promise.resolve(parsed);
  const { values, positionals } = parsed;
  const format = values.output as Format;
  if (!FORMATS.includes(format)) return Promise.resolve(usageFailure('exemptions', `unknown --output "${values.output}" (table, json or markdown)`));
  if (positionals.length > 1) return Promise.resolve(usageFailure('exemptions', `expected at most one bundle or policy app, got ${positionals.length}`));
  if (values.policies && values.bundle !== undefined) return Promise.resolve(usageFailure('exemptions', 'give --bundle or --policies, not both'));
  if (values.now !== undefined && (!RFC3339.test(values.now) || Number.isNaN(Date.parse(values.now)))) {
    return Promise.resolve(usageFailure('exemptions', `--now must be an RFC 3339 time such as 2026-06-01T00:00:00Z, not "${values.now}"`));
  }
  const now = values.now === undefined ? new Date() : new Date(values.now);
  let windowMs = DEFAULT_WINDOW_MS;
  if (values['expiring-within'] !== undefined) {
    const ms = parseWindow(values['expiring-within']);
    if (ms === undefined) return Promise.resolve(usageFailure('exemptions', `--expiring-within must be a duration such as 30d, 2w or 12h, not "${values['expiring-within']}"`));
    windowMs = ms;
  }
  let bundle;
  try {
    const [source] = positionals;
    bundle = (values.policies ? synthesizeBundle(source ?? DEFAULT_POLICY_APP) : loadBundleFile(values.bundle ?? source ?? DEFAULT_BUNDLE)).bundle;
  } catch (err) {
    if (err instanceof InputError) return Promise.resolve(usageFailure('exemptions', err.message));
    throw err;
  }
  const inventory = buildInventory(bundle, { now, windowMs, onlyExpiring: values['expiring-within'] !== undefined });
  const render = format === 'json' ? renderInventoryJson : format === 'markdown' ? renderInventoryMarkdown : renderInventoryTable;
  process.stdout.write(render(inventory));
  return Promise.resolve(values['fail-if-expiring'] && expiringCount(inventory) > 0 ? 1 : 0);
}

export const command: Command = {
  summary: 'list every exemption with owner, scope, controls and expiry; fail a CI job when one expires soon',
  run,
};
