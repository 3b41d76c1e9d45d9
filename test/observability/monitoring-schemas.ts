/**
 * A strict field check of the prometheus-operator objects the observability pack synthesizes
 * (monitoring.coreos.com/v1 PrometheusRule and PodMonitor): the fields, types, enums and required
 * fields of their CRDs (prometheus-operator's `monitoring.coreos.com_prometheusrules.yaml` and
 * `…_podmonitors.yaml`, v1), restricted to the parts the pack may write, so a misspelled or
 * misplaced field is a problem. No published schema package for these CRDs is installed
 * (`@kubernetes-models/prometheus-operator` would replace this).
 */

type Shape =
  | 'string'
  | 'boolean'
  | 'integer'
  | 'stringMap'
  | { enum: readonly string[] }
  | { list: Shape }
  | { fields: Record<string, Shape>; required?: readonly string[] };

const LABEL_SELECTOR: Shape = {
  fields: {
    matchLabels: 'stringMap',
    matchExpressions: { list: { fields: { key: 'string', operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }, values: { list: 'string' } }, required: ['key', 'operator'] } },
  },
};
const KEY_SELECTOR: Shape = { fields: { name: 'string', key: 'string', optional: 'boolean' }, required: ['key'] };
const SECRET_OR_CONFIG_MAP: Shape = { fields: { secret: KEY_SELECTOR, configMap: KEY_SELECTOR } };
const METADATA: Shape = { fields: { name: 'string', namespace: 'string', labels: 'stringMap', annotations: 'stringMap' }, required: ['name'] };

const SPECS: Record<string, Shape> = {
  PrometheusRule: {
    fields: {
      groups: {
        list: {
          fields: {
            name: 'string',
            interval: 'string',
            limit: 'integer',
            partial_response_strategy: 'string',
            rules: {
              list: {
                fields: { alert: 'string', record: 'string', expr: 'string', for: 'string', keep_firing_for: 'string', labels: 'stringMap', annotations: 'stringMap' },
                required: ['expr'],
              },
            },
          },
          required: ['name'],
        },
      },
    },
  },
  PodMonitor: {
    fields: {
      jobLabel: 'string',
      podTargetLabels: { list: 'string' },
      selector: LABEL_SELECTOR,
      namespaceSelector: { fields: { any: 'boolean', matchNames: { list: 'string' } } },
      podMetricsEndpoints: {
        list: {
          fields: {
            port: 'string',
            path: 'string',
            scheme: { enum: ['http', 'https'] },
            interval: 'string',
            scrapeTimeout: 'string',
            honorLabels: 'boolean',
            tlsConfig: { fields: { ca: SECRET_OR_CONFIG_MAP, cert: SECRET_OR_CONFIG_MAP, keySecret: KEY_SELECTOR, serverName: 'string', insecureSkipVerify: 'boolean' } },
          },
        },
      },
    },
    required: ['selector'],
  },
};

function check(value: unknown, shape: Shape, path: string, out: string[]): void {
  if (shape === 'string' || shape === 'boolean') {
    if (typeof value !== shape) out.push(`${path} must be a ${shape}`);
    return;
  }
  if (shape === 'integer') {
    if (!Number.isInteger(value)) out.push(`${path} must be an integer`);
    return;
  }
  if (shape === 'stringMap') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) out.push(`${path} must be a map`);
    else for (const [k, v] of Object.entries(value)) if (typeof v !== 'string') out.push(`${path}.${k} must be a string`);
    return;
  }
  if ('enum' in shape) {
    if (typeof value !== 'string' || !shape.enum.includes(value)) out.push(`${path} must be one of ${shape.enum.join(', ')}`);
    return;
  }
  if ('list' in shape) {
    if (!Array.isArray(value)) out.push(`${path} must be a list`);
    else value.forEach((v, i) => check(v, shape.list, `${path}[${i}]`, out));
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    out.push(`${path} must be an object`);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const field = shape.fields[k];
    if (field === undefined) out.push(`field ${path}.${k} is not defined`);
    else check(v, field, `${path}.${k}`, out);
  }
  for (const r of shape.required ?? []) if (!(r in value)) out.push(`${path}.${r} is required`);
}

/** Problems of a monitoring.coreos.com/v1 object; empty when valid. */
export function checkMonitoringObject(obj: { apiVersion: string; kind: string } & Record<string, unknown>): string[] {
  const spec = SPECS[obj.kind];
  if (obj.apiVersion !== 'monitoring.coreos.com/v1' || spec === undefined) return [`no schema for ${obj.apiVersion} ${obj.kind}`];
  const out: string[] = [];
  check(obj, { fields: { apiVersion: 'string', kind: 'string', metadata: METADATA, spec }, required: ['metadata', 'spec'] }, '', out);
  return out.map((p) => `${obj.kind}: ${p}`);
}
