import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';

/**
 * No container engine or cluster runs here: the deployment files are checked statically. Every YAML
 * parses, every Kubernetes object validates against its OpenAPI schema (kubernetes-models), and every
 * stampede command and flag the files use exists in `stampede <command> --help`.
 */
const INFRA = 'infra';
const K8S = join(INFRA, 'k8s');

type Doc = Record<string, unknown>;

function yamlDocuments(file: string): Doc[] {
  // Compose files use YAML merge keys (<<: *anchor), as Docker Compose reads them.
  const documents = parseAllDocuments(readFileSync(file, 'utf8'), { merge: true });
  const list = Array.isArray(documents) ? documents : [documents];
  for (const document of list) assert.deepEqual(document.errors.map((e) => e.message), [], `${file} parses`);
  return list.map((document) => document.toJS() as Doc).filter((value) => value !== null);
}

const helpCache = new Map<string, string>();
function help(command?: string): string {
  const key = command ?? '';
  if (!helpCache.has(key)) {
    const result = spawnSync(process.execPath, ['bin/stampede.js', ...(command ? [command] : []), '--help'], { encoding: 'utf8' });
    assert.equal(result.status, 0, `stampede ${key} --help: ${result.stderr}`);
    helpCache.set(key, result.stdout);
  }
  return helpCache.get(key)!;
}

/** A stampede command line as the files write it: the command, then flags (and their values). */
function assertStampedeCommand(args: string[], where: string): void {
  const [command, ...rest] = args;
  assert.ok(command && new RegExp(`^  ${command} `, 'm').test(help()), `${where}: "${command}" is a stampede command`);
  for (const flag of rest.filter((arg) => arg.startsWith('--'))) {
    assert.ok(new RegExp(`(^|\\s)${flag}(\\s|$|\\[|=)`, 'm').test(help(command)), `${where}: ${flag} is a flag of stampede ${command}`);
  }
}

describe('deployment files (validated statically: no container engine or cluster on this machine)', () => {
  it('the Dockerfile: multi-stage, non-root, one image whose entrypoint is the stampede CLI, copying files that exist', () => {
    const dockerfile = readFileSync(join(INFRA, 'docker', 'Dockerfile'), 'utf8');
    const stages = dockerfile.match(/^FROM\s+\S+/gm) ?? [];
    assert.ok(stages.length >= 2, 'multi-stage');
    assert.ok(stages.every((line) => /node:20-slim/.test(line)), 'node:20-slim');
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /^ENTRYPOINT \["node", "bin\/stampede\.js"\]$/m);
    for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of sources!.split(/\s+/)) assert.ok(existsSync(source), `COPY ${source} exists in the repository`);
    }
  });

  it('compose.yaml: Kafka in KRaft mode from apache/kafka, orchestrator, target and replicated drivers running real stampede commands', () => {
    const [compose] = yamlDocuments(join(INFRA, 'compose.yaml'));
    const services = compose!.services as Record<string, { image?: string; command?: string[]; entrypoint?: string[]; environment?: Record<string, string>; deploy?: { replicas?: number }; build?: { dockerfile: string } }>;
    assert.match(services.kafka!.image!, /^apache\/kafka:/);
    assert.equal(services.kafka!.environment!.KAFKA_PROCESS_ROLES, 'broker,controller');
    assert.ok((services.driver!.deploy?.replicas ?? 0) > 1, 'drivers have replicas');
    assert.ok(existsSync(join(INFRA, services.orchestrator!.build!.dockerfile.replace(/^infra\//, ''))), 'the build names the Dockerfile');
    for (const name of ['orchestrator', 'target', 'driver']) assertStampedeCommand(services[name]!.command!, `compose service ${name}`);
    const runEntrypoint = services.run!.entrypoint!;
    assert.deepEqual(runEntrypoint.slice(0, 2), ['node', 'bin/stampede.js']);
    assertStampedeCommand(runEntrypoint.slice(2), 'compose service run');
  });

  it('compose.yaml: Prometheus scrapes every node and Grafana is provisioned with the Stampede dashboard, from files that exist', () => {
    const composeFile = join(INFRA, 'compose.yaml');
    const [compose] = yamlDocuments(composeFile);
    type Service = { image?: string; volumes?: string[] };
    const services = compose!.services as Record<string, Service>;
    assert.match(services.prometheus!.image!, /^prom\/prometheus:v\d+\.\d+\.\d+$/);
    assert.match(services.grafana!.image!, /^grafana\/grafana:\d+\.\d+\.\d+$/);
    // Bind mounts are relative to the compose file; named volumes have no slash.
    const mounts = Object.values(services).flatMap((service) => (service.volumes ?? []).filter((v) => v.startsWith('.')).map((v) => v.split(':') as [string, string]));
    for (const [source] of mounts) assert.ok(existsSync(resolve(dirname(composeFile), source)), `mounted ${source} exists`);
    const mountOf = (file: string) => mounts.find(([source]) => resolve(dirname(composeFile), source) === resolve(file))?.[1];

    const prometheusConfig = join(INFRA, 'prometheus', 'prometheus.yml');
    assert.equal(mountOf(prometheusConfig), '/etc/prometheus/prometheus.yml');
    const scrapes = yamlDocuments(prometheusConfig)[0]!.scrape_configs as { job_name: string; static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; type: string; port: number }[] }[];
    const job = (name: string) => scrapes.find((s) => s.job_name === name)!;
    assert.deepEqual(job('orchestrator').static_configs![0]!.targets, ['orchestrator:7070']);
    assert.deepEqual(job('target').static_configs![0]!.targets, ['target:8080']);
    assert.deepEqual(job('driver').dns_sd_configs![0], { names: ['driver'], type: 'A', port: 9100, refresh_interval: '10s' });

    const provisioning = join(INFRA, 'grafana', 'provisioning');
    const datasource = (yamlDocuments(join(provisioning, 'datasources', 'prometheus.yaml'))[0]!.datasources as { uid: string; type: string; url: string }[])[0]!;
    assert.deepEqual([datasource.uid, datasource.type, datasource.url], ['prometheus', 'prometheus', 'http://prometheus:9090']);
    assert.equal(mountOf(join(provisioning, 'datasources')), '/etc/grafana/provisioning/datasources');
    assert.equal(mountOf(join(provisioning, 'dashboards')), '/etc/grafana/provisioning/dashboards');
    const provider = (yamlDocuments(join(provisioning, 'dashboards', 'stampede.yaml'))[0]!.providers as { type: string; options: { path: string } }[])[0]!;
    const dashboardFile = join(INFRA, 'grafana', 'stampede.json');
    assert.equal(dirname(mountOf(dashboardFile) ?? ''), provider.options.path, 'the provider reads the directory the dashboard is mounted in');
    const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as { schemaVersion: number; panels: unknown[] };
    assert.ok(dashboard.schemaVersion >= 39 && dashboard.panels.length > 0);
  });

  it('infra/k8s: every object validates against its Kubernetes schema, kustomize lists them all, and the containers run real stampede commands', async () => {
    const kustomization = yamlDocuments(join(K8S, 'kustomization.yaml'))[0]!;
    const resources = kustomization.resources as string[];
    const files = readdirSync(K8S).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml');
    assert.deepEqual([...resources].sort(), files.sort(), 'kustomization lists every manifest');
    const kinds: string[] = [];
    const objects: Doc[] = [];
    for (const file of files) {
      for (const object of yamlDocuments(join(K8S, file))) {
        const { apiVersion, kind } = object as { apiVersion: string; kind: string };
        const module = (await import(`kubernetes-models/${apiVersion}/${kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
        const Model = module[kind]!;
        assert.doesNotThrow(() => new Model(object).validate(), `${file}: ${kind} ${JSON.stringify((object.metadata as { name?: string })?.name)} is a valid ${apiVersion} ${kind}`);
        kinds.push(kind);
        objects.push(object);
      }
    }
    for (const kind of ['Deployment', 'Service', 'StatefulSet', 'ConfigMap', 'Secret']) assert.ok(kinds.includes(kind), `has a ${kind}`);

    type Container = { args?: string[]; image: string; env?: { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[] };
    const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet') as { metadata: { name: string }; spec: { template: { spec: { containers: Container[] } } } }[];
    const byName = new Map(workloads.map((w) => [w.metadata.name, w]));
    assert.ok(byName.has('stampede-orchestrator') && byName.has('stampede-driver') && byName.has('stampede-kafka'));
    const driverReplicas = (kustomization.replicas as { name: string; count: number }[]).find((r) => r.name === 'stampede-driver')?.count;
    assert.ok((driverReplicas ?? 0) > 1, 'the number of drivers is the driver Deployment replicas');
    for (const workload of workloads) {
      for (const container of workload.spec.template.spec.containers.filter((c) => c.image === 'stampede')) {
        assertStampedeCommand(container.args!, `${workload.metadata.name}/${container.args![0]}`);
      }
    }
    const secretEnv = (name: string) => byName.get(name)!.spec.template.spec.containers[0]!.env!.filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
    assert.deepEqual(secretEnv('stampede-orchestrator').sort(), ['STAMPEDE_KAFKA_PASSWORD', 'STAMPEDE_SECRET', 'STAMPEDE_TOKEN']);
    assert.deepEqual(secretEnv('stampede-driver').sort(), ['STAMPEDE_KAFKA_PASSWORD', 'STAMPEDE_SECRET']);
  });
});
