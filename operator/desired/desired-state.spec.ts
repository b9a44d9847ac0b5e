import type { SeckillSpec } from '../api/seckill-types';
import overview from '../dashboards/couponkill-overview.json';
import { isSettingName } from '../../infra/config/config';
import { seckillFixture } from '../test-support/seckill-fixture';
import { desiredState, type Capabilities } from './desired-state';
import { RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_SECURITY } from './deployment';
import { childKey, type ChildObject } from './kube-object';

const ALL: Capabilities = { hpaApiVersion: 'autoscaling/v2', keda: true, serviceMonitor: true };

const objectsOf = (spec: Partial<SeckillSpec> = {}, capabilities = ALL, name?: string) =>
  new Map(desiredState(seckillFixture(spec, name), capabilities).objects.map((o) => [childKey(o), o]));

/** Which objects appear, disappear or change between the base spec and one with a field set. */
function changes(spec: Partial<SeckillSpec>, base: Partial<SeckillSpec> = {}) {
  const before = objectsOf(base);
  const after = objectsOf({ ...base, ...spec });
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  return {
    added: keys.filter((k) => !before.has(k)),
    removed: keys.filter((k) => !after.has(k)),
    changed: keys.filter(
      (k) => before.has(k) && after.has(k) && JSON.stringify(before.get(k)) !== JSON.stringify(after.get(k)),
    ),
  };
}

const get = (objects: Map<string, ChildObject>, key: string): ChildObject => {
  const object = objects.get(key);
  if (!object) throw new Error(`no ${key}`);
  return object;
};

interface Container {
  args: string[];
  image: string;
  env: { name: string; value?: string; valueFrom?: unknown }[];
  envFrom?: unknown[];
  resources?: unknown;
  ports: { name: string; containerPort: number }[];
  readinessProbe: unknown;
  livenessProbe: unknown;
  startupProbe: { httpGet: { path: string; port: string }; periodSeconds: number; failureThreshold: number };
  lifecycle?: { preStop: { sleep: { seconds: number } } };
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodTemplateSpec {
  containers: Container[];
  securityContext?: { sysctls?: unknown };
  terminationGracePeriodSeconds: number;
  volumes: { name: string; emptyDir?: unknown }[];
  nodeSelector?: Record<string, string>;
  tolerations?: unknown[];
  affinity?: { podAntiAffinity?: Record<string, unknown[]>; nodeAffinity?: unknown };
  topologySpreadConstraints?: { labelSelector?: unknown; topologyKey: string }[];
  priorityClassName?: string;
  imagePullSecrets?: { name: string }[];
}
interface DeploymentShape {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: PodTemplateSpec;
    };
  };
}
const deployment = (objects: Map<string, ChildObject>, name: string) =>
  get(objects, `Deployment/${name}`) as unknown as DeploymentShape;
const container = (objects: Map<string, ChildObject>, name: string): Container => {
  const c = deployment(objects, name).spec.template.spec.containers[0];
  if (!c) throw new Error('no container');
  return c;
};
const envValue = (c: Container, name: string) => c.env.find((e) => e.name === name);
const servicePorts = (objects: Map<string, ChildObject>, name: string) =>
  (get(objects, `Service/${name}`) as unknown as { spec: { ports: unknown[] } }).spec.ports;
const OPS_CONTAINER_PORT = { name: 'ops', containerPort: 9090, protocol: 'TCP' };
const OPS_SERVICE_PORT = { name: 'ops', port: 9090, targetPort: 9090, protocol: 'TCP' };

const DEPLOYMENTS = ['write-api', 'read-api', 'relay', 'projector']
  .map((s) => `Deployment/flash-${s}`)
  .sort();
const SERVICES = ['write-api', 'read-api', 'relay', 'projector'].map((s) => `Service/flash-${s}`);

describe('desired state of a Seckill', () => {
  it('by default is a Deployment and a Service per role, owned by the Seckill', () => {
    const objects = objectsOf();
    expect([...objects.keys()].sort()).toEqual([...DEPLOYMENTS, ...SERVICES].sort());
    for (const object of objects.values()) {
      expect(object.metadata.namespace).toBe('shop');
      expect(object.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'ops.couponkill.io/v1',
          kind: 'Seckill',
          name: 'flash',
          uid: 'uid-flash',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(object.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'couponkill-operator',
        'ops.couponkill.io/seckill': 'flash',
      });
    }
  });

  it('runs each role by its command; the APIs on their public port, every role with an ops port', () => {
    const objects = objectsOf();
    const apis = { 'write-api': 8080, 'read-api': 8081 };
    for (const [role, port] of Object.entries(apis)) {
      const c = container(objects, `flash-${role}`);
      expect(c.args).toEqual([role]);
      expect(c.ports).toEqual([{ name: 'http', containerPort: port, protocol: 'TCP' }, OPS_CONTAINER_PORT]);
      expect(servicePorts(objects, `flash-${role}`)).toEqual([
        { name: 'http', port, targetPort: port, protocol: 'TCP' },
        OPS_SERVICE_PORT,
      ]);
      expect(envValue(c, 'COUPONKILL_HOST')?.value).toBe('0.0.0.0');
    }
    expect(envValue(container(objects, 'flash-write-api'), 'COUPONKILL_WRITE_API_PORT')?.value).toBe('8080');
    expect(envValue(container(objects, 'flash-read-api'), 'COUPONKILL_READ_API_PORT')?.value).toBe('8081');
    for (const role of ['relay', 'projector']) {
      const c = container(objects, `flash-${role}`);
      expect(c.args).toEqual([role]);
      expect(c.ports).toEqual([OPS_CONTAINER_PORT]);
      expect(servicePorts(objects, `flash-${role}`)).toEqual([OPS_SERVICE_PORT]);
      // No public listener to configure, and the deprecated per-role port names are gone.
      for (const name of ['COUPONKILL_HOST', 'COUPONKILL_PROJECTOR_PORT', 'COUPONKILL_RELAY_PORT'])
        expect(envValue(c, name)).toBeUndefined();
    }
  });

  it.each(['write-api', 'read-api', 'relay', 'projector'])(
    '%s: the ops listener binds every interface on the ops port, and the probes hit it there',
    (role) => {
      const c = container(objectsOf(), `flash-${role}`);
      expect(envValue(c, 'COUPONKILL_OPS_HOST')?.value).toBe('0.0.0.0');
      expect(envValue(c, 'COUPONKILL_OPS_PORT')?.value).toBe('9090');
      expect(c.readinessProbe).toEqual({
        httpGet: { path: '/readyz', port: 'ops' },
        periodSeconds: 5,
        timeoutSeconds: 2,
        failureThreshold: 3,
      });
      expect(c.livenessProbe).toEqual({
        httpGet: { path: '/healthz', port: 'ops' },
        periodSeconds: 10,
        timeoutSeconds: 2,
        failureThreshold: 3,
      });
    },
  );

  it('services.<role>.opsPort moves that role’s ops port on its container, env and Service only', () => {
    const spec = { services: { relay: { opsPort: 9191 } } };
    expect(changes(spec)).toEqual({
      added: [],
      removed: [],
      changed: ['Deployment/flash-relay', 'Service/flash-relay'],
    });
    const objects = objectsOf(spec);
    const c = container(objects, 'flash-relay');
    expect(c.ports).toEqual([{ name: 'ops', containerPort: 9191, protocol: 'TCP' }]);
    expect(envValue(c, 'COUPONKILL_OPS_PORT')?.value).toBe('9191');
    // Probes go by the port's name, so they follow it without changing.
    expect(c.readinessProbe).toMatchObject({ httpGet: { port: 'ops' } });
    expect(servicePorts(objects, 'flash-relay')).toEqual([
      { name: 'ops', port: 9191, targetPort: 9191, protocol: 'TCP' },
    ]);
    expect(envValue(container(objects, 'flash-projector'), 'COUPONKILL_OPS_PORT')?.value).toBe('9090');
  });

  it('user ports on the projector are exposed beside ops, with no API port variable', () => {
    const objects = objectsOf({ services: { projector: { ports: [{ name: 'debug', port: 9229 }] } } });
    const c = container(objects, 'flash-projector');
    expect(c.ports).toEqual([{ name: 'debug', containerPort: 9229, protocol: 'TCP' }, OPS_CONTAINER_PORT]);
    expect(servicePorts(objects, 'flash-projector')).toEqual([
      { name: 'debug', port: 9229, targetPort: 9229, protocol: 'TCP' },
      OPS_SERVICE_PORT,
    ]);
    expect(c.env.map((e) => e.name).filter((n) => n.endsWith('_PORT'))).toEqual(['COUPONKILL_OPS_PORT']);
  });

  it('selects pods by the Seckill name, so two Seckills never share pods', () => {
    const a = deployment(objectsOf({}, ALL, 'a'), 'a-write-api').spec.selector.matchLabels;
    const b = deployment(objectsOf({}, ALL, 'b'), 'b-write-api').spec.selector.matchLabels;
    expect(a['app.kubernetes.io/instance']).toBe('a');
    expect(b['app.kubernetes.io/instance']).toBe('b');
    const service = get(objectsOf({}, ALL, 'a'), 'Service/a-write-api') as unknown as {
      spec: { selector: unknown };
    };
    expect(service.spec.selector).toEqual(a);
    expect(deployment(objectsOf({}, ALL, 'a'), 'a-write-api').spec.template.metadata.labels).toMatchObject(a);
  });

  it('spec.image changes every Deployment and nothing else', () => {
    expect(changes({ image: 'other:2' })).toEqual({ added: [], removed: [], changed: DEPLOYMENTS });
  });

  it('imagePullPolicy changes every Deployment and nothing else', () => {
    expect(changes({ imagePullPolicy: 'Always' })).toEqual({ added: [], removed: [], changed: DEPLOYMENTS });
  });

  it.each([
    ['image', { image: 'ck:canary' }],
    ['replicas', { replicas: 4 }],
    ['resources', { resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: 1 } } }],
    ['env', { env: [{ name: 'COUPONKILL_LOG_LEVEL', value: 'debug' }] }],
    ['envFrom', { envFrom: [{ configMapRef: { name: 'extra' } }] }],
  ])('services.writeApi.%s changes only the write API Deployment', (_field, service) => {
    expect(changes({ services: { writeApi: service } })).toEqual({
      added: [],
      removed: [],
      changed: ['Deployment/flash-write-api'],
    });
  });

  it('services.<role>.replicas lands in that Deployment', () => {
    expect(
      deployment(objectsOf({ services: { readApi: { replicas: 5 } } }), 'flash-read-api').spec.replicas,
    ).toBe(5);
  });

  it('services.<role>.ports changes that Deployment and its Service only', () => {
    const spec = { services: { readApi: { ports: [{ name: 'web', port: 80, targetPort: 9000 }] } } };
    expect(changes(spec)).toEqual({
      added: [],
      removed: [],
      changed: ['Deployment/flash-read-api', 'Service/flash-read-api'],
    });
    const objects = objectsOf(spec);
    expect(container(objects, 'flash-read-api').ports).toEqual([
      { name: 'web', containerPort: 9000, protocol: 'TCP' },
      OPS_CONTAINER_PORT,
    ]);
    expect(servicePorts(objects, 'flash-read-api')).toEqual([
      { name: 'web', port: 80, targetPort: 9000, protocol: 'TCP' },
      OPS_SERVICE_PORT,
    ]);
    expect(envValue(container(objects, 'flash-read-api'), 'COUPONKILL_READ_API_PORT')?.value).toBe('9000');
  });

  it('an empty ports list on an API still means its default port', () => {
    const objects = objectsOf({ services: { writeApi: { ports: [] } } });
    expect(container(objects, 'flash-write-api').ports).toEqual([
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      OPS_CONTAINER_PORT,
    ]);
  });

  it('a user env entry replaces the operator’s of the same name and keeps its valueFrom', () => {
    const c = container(
      objectsOf({
        services: {
          projector: {
            env: [
              { name: 'COUPONKILL_OPS_HOST', value: '127.0.0.1' },
              { name: 'EXTRA', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
            ],
          },
        },
      }),
      'flash-projector',
    );
    expect(c.env.filter((e) => e.name === 'COUPONKILL_OPS_HOST')).toEqual([
      { name: 'COUPONKILL_OPS_HOST', value: '127.0.0.1' },
    ]);
    expect(envValue(c, 'EXTRA')).toEqual({
      name: 'EXTRA',
      valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } },
    });
  });

  it.each(['writeApi', 'readApi', 'relay', 'projector'] as const)(
    'services.%s.enabled=false removes its Deployment and Service and nothing else',
    (service) => {
      const slug = { writeApi: 'write-api', readApi: 'read-api', relay: 'relay', projector: 'projector' }[
        service
      ];
      expect(changes({ services: { [service]: { enabled: false } } })).toEqual({
        added: [],
        removed: [`Deployment/flash-${slug}`, `Service/flash-${slug}`],
        changed: [],
      });
    },
  );

  it('middleware endpoints become COUPONKILL_* env on every Deployment, credentials only from Secrets', () => {
    const spec: Partial<SeckillSpec> = {
      middleware: {
        redis: { url: 'redis://redis:6379', keyPrefix: 'flash' },
        eventStore: { urlSecretRef: { name: 'db', key: 'events-url' } },
        mysql: {
          readDatabase: { urlSecretRef: { name: 'db', key: 'read-url' } },
          shards: 4,
          shardUrlsSecretRef: { name: 'db', key: 'shards' },
        },
        rocketmq: { endpoints: 'rmq:8081', accessKeySecretRef: { name: 'rmq', key: 'ak' } },
        nacos: { serverAddr: 'nacos:8848', namespace: 'ck', passwordSecretRef: { name: 'nacos', key: 'pw' } },
      },
      auth: { jwtSecretRef: { name: 'jwt', key: 'secret' } },
    };
    expect(changes(spec)).toEqual({ added: [], removed: [], changed: DEPLOYMENTS });
    const c = container(objectsOf(spec), 'flash-write-api');
    expect(envValue(c, 'COUPONKILL_REDIS_URL')?.value).toBe('redis://redis:6379');
    expect(envValue(c, 'COUPONKILL_REDIS_KEY_PREFIX')?.value).toBe('flash');
    expect(envValue(c, 'COUPONKILL_READ_SHARDS')?.value).toBe('4');
    expect(envValue(c, 'COUPONKILL_ROCKETMQ_ENDPOINTS')?.value).toBe('rmq:8081');
    expect(envValue(c, 'COUPONKILL_BUS')?.value).toBe('rocketmq');
    expect(envValue(c, 'COUPONKILL_EVENT_STORE')).toBeUndefined();
    expect(envValue(c, 'COUPONKILL_NACOS_SERVER_ADDR')?.value).toBe('nacos:8848');
    for (const [name, secret, key] of [
      ['COUPONKILL_EVENT_STORE_URL', 'db', 'events-url'],
      ['COUPONKILL_READ_DATABASE_URL', 'db', 'read-url'],
      ['COUPONKILL_READ_SHARD_URLS', 'db', 'shards'],
      ['COUPONKILL_JWT_SECRET', 'jwt', 'secret'],
      ['COUPONKILL_ROCKETMQ_ACCESS_KEY', 'rmq', 'ak'],
      ['COUPONKILL_NACOS_PASSWORD', 'nacos', 'pw'],
    ])
      expect(envValue(c, name ?? '')).toEqual({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
  });

  // The operator once set COUPONKILL_NACOS_* variables no process read: every variable it sets must be a setting.
  it.each([
    ['every middleware', {}],
    [
      'EventStoreDB',
      { eventStore: { kind: 'eventstoredb', urlSecretRef: { name: 'esdb', key: 'connection' } } },
    ],
  ] as const)('sets only variables the processes read as settings (%s)', (_name, extra) => {
    const spec: Partial<SeckillSpec> = {
      middleware: {
        redis: { url: 'redis://redis:6379', keyPrefix: 'flash' },
        eventStore: { urlSecretRef: { name: 'db', key: 'events-url' } },
        mysql: {
          readDatabase: { urlSecretRef: { name: 'db', key: 'read-url' } },
          shards: 4,
          shardUrlsSecretRef: { name: 'db', key: 'shards' },
        },
        rocketmq: {
          endpoints: 'rmq:8081',
          namespace: 'ck',
          accessKeySecretRef: { name: 'rmq', key: 'ak' },
          secretKeySecretRef: { name: 'rmq', key: 'sk' },
        },
        nacos: {
          serverAddr: 'nacos:8848',
          namespace: 'ck',
          group: 'FLASH',
          usernameSecretRef: { name: 'nacos', key: 'user' },
          passwordSecretRef: { name: 'nacos', key: 'pw' },
        },
        ...extra,
      },
      auth: { jwtSecretRef: { name: 'jwt', key: 'secret' } },
    };
    const objects = objectsOf(spec);
    for (const name of DEPLOYMENTS.map((d) => d.replace('Deployment/', '')))
      for (const { name: variable } of container(objects, name).env)
        expect({ variable, setting: isSettingName(variable) }).toEqual({ variable, setting: true });
  });

  it('middleware.eventStore.kind eventstoredb switches the store and passes the connection string', () => {
    const spec: Partial<SeckillSpec> = {
      middleware: { eventStore: { kind: 'eventstoredb', urlSecretRef: { name: 'esdb', key: 'connection' } } },
    };
    expect(changes(spec)).toEqual({ added: [], removed: [], changed: DEPLOYMENTS });
    const c = container(objectsOf(spec), 'flash-relay');
    expect(envValue(c, 'COUPONKILL_EVENT_STORE')?.value).toBe('eventstoredb');
    expect(envValue(c, 'COUPONKILL_ESDB_CONNECTION_STRING')).toEqual({
      name: 'COUPONKILL_ESDB_CONNECTION_STRING',
      valueFrom: { secretKeyRef: { name: 'esdb', key: 'connection' } },
    });
    expect(envValue(c, 'COUPONKILL_EVENT_STORE_URL')).toBeUndefined();
  });

  describe('kernel settings', () => {
    const sysctls = [
      { name: 'net.core.somaxconn', value: '16384' },
      { name: 'net.ipv4.tcp_max_syn_backlog', value: '16384' },
    ];

    it('by default set no sysctls and no backlog: the processes use the kernel’s net.core.somaxconn', () => {
      const objects = objectsOf();
      for (const name of DEPLOYMENTS) {
        const d = get(objects, name) as unknown as DeploymentShape;
        expect(d.spec.template.spec.securityContext).toEqual(RESTRICTED_POD_SECURITY);
        expect(d.spec.template.spec.containers[0]?.env.map((e) => e.name)).not.toContain(
          'COUPONKILL_LISTEN_BACKLOG',
        );
      }
    });

    it('pod.sysctls land in every pod’s securityContext and change nothing else', () => {
      expect(changes({ pod: { sysctls } })).toEqual({ added: [], removed: [], changed: DEPLOYMENTS });
      const objects = objectsOf({ pod: { sysctls } });
      for (const role of ['write-api', 'read-api', 'relay', 'projector'])
        expect(deployment(objects, `flash-${role}`).spec.template.spec.securityContext).toEqual({
          ...RESTRICTED_POD_SECURITY,
          sysctls,
        });
      expect(changes({ pod: { sysctls: [] } })).toEqual({ added: [], removed: [], changed: [] });
    });

    it('listenBacklog becomes COUPONKILL_LISTEN_BACKLOG on every process and changes nothing else', () => {
      expect(changes({ listenBacklog: 8192 })).toEqual({ added: [], removed: [], changed: DEPLOYMENTS });
      const objects = objectsOf({ listenBacklog: 8192 });
      for (const role of ['write-api', 'read-api', 'relay', 'projector'])
        expect(envValue(container(objects, `flash-${role}`), 'COUPONKILL_LISTEN_BACKLOG')?.value).toBe(
          '8192',
        );
    });
  });

  describe('production pods', () => {
    const pod = (objects: Map<string, ChildObject>, role: string) =>
      deployment(objects, `flash-${role}`).spec.template;
    const selectorOf = (role: string) => ({
      'app.kubernetes.io/name': 'couponkill',
      'app.kubernetes.io/instance': 'flash',
      'app.kubernetes.io/component': role,
    });

    it('every container starts behind a startup probe sized by its role: the write-api’s covers the gate rebuild', () => {
      const objects = objectsOf();
      expect(container(objects, 'flash-write-api').startupProbe).toEqual({
        httpGet: { path: '/healthz', port: 'ops' },
        periodSeconds: 5,
        timeoutSeconds: 2,
        failureThreshold: 120,
      });
      for (const role of ['read-api', 'relay', 'projector'])
        expect(container(objects, `flash-${role}`).startupProbe.failureThreshold).toBe(60);
      const longer = objectsOf({ services: { writeApi: { startupTimeoutSeconds: 1801 } } });
      expect(container(longer, 'flash-write-api').startupProbe.failureThreshold).toBe(361);
      expect(changes({ services: { writeApi: { startupTimeoutSeconds: 900 } } })).toEqual({
        added: [],
        removed: [],
        changed: ['Deployment/flash-write-api'],
      });
    });

    it('the APIs sleep before SIGTERM and drain after it; the grace period covers both', () => {
      const objects = objectsOf();
      for (const role of ['write-api', 'read-api']) {
        const c = container(objects, `flash-${role}`);
        expect(c.lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
        expect(envValue(c, 'COUPONKILL_SHUTDOWN_DELAY_MS')).toEqual({
          name: 'COUPONKILL_SHUTDOWN_DELAY_MS',
          value: '2000',
        });
        expect(pod(objects, role).spec.terminationGracePeriodSeconds).toBe(30);
      }
      for (const role of ['relay', 'projector']) {
        // A zero sleep is left out: the sleep action takes 0 only from Kubernetes 1.33.
        expect(container(objects, `flash-${role}`).lifecycle).toBeUndefined();
        expect(envValue(container(objects, `flash-${role}`), 'COUPONKILL_SHUTDOWN_DELAY_MS')?.value).toBe(
          '0',
        );
      }
      const slow = objectsOf({ services: { readApi: { preStopSleepSeconds: 20, drainSeconds: 10 } } });
      expect(pod(slow, 'read-api').spec.terminationGracePeriodSeconds).toBe(50);
      expect(container(slow, 'flash-read-api').lifecycle).toEqual({ preStop: { sleep: { seconds: 20 } } });
      const set = objectsOf({ services: { readApi: { terminationGracePeriodSeconds: 90 } } });
      expect(pod(set, 'read-api').spec.terminationGracePeriodSeconds).toBe(90);
    });

    it('every pod runs restricted: non-root, read-only root with a /tmp emptyDir, no privilege escalation, no capabilities', () => {
      const objects = objectsOf();
      for (const role of ['write-api', 'read-api', 'relay', 'projector']) {
        const c = container(objects, `flash-${role}`);
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(pod(objects, role).spec.securityContext).toEqual({
          runAsNonRoot: true,
          runAsUser: 1000,
          runAsGroup: 1000,
          fsGroup: 1000,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
        expect(pod(objects, role).spec.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
      }
      const overridden = objectsOf({
        pod: {
          securityContext: { runAsUser: 2000 },
          containerSecurityContext: { readOnlyRootFilesystem: false },
        },
      });
      expect(pod(overridden, 'relay').spec.securityContext).toEqual({
        ...RESTRICTED_POD_SECURITY,
        runAsUser: 2000,
      });
      expect(container(overridden, 'flash-relay').securityContext).toEqual({
        ...RESTRICTED_CONTAINER_SECURITY,
        readOnlyRootFilesystem: false,
      });
    });

    it('pod overrides land where they belong and never replace a selector label', () => {
      const overrides = {
        labels: { team: 'growth', 'app.kubernetes.io/component': 'hijack' },
        annotations: { 'sidecar.istio.io/inject': 'true' },
        nodeSelector: { pool: 'seckill' },
        tolerations: [
          { key: 'dedicated', operator: 'Equal' as const, value: 'seckill', effect: 'NoSchedule' as const },
        ],
        priorityClassName: 'high',
        imagePullSecrets: [{ name: 'registry' }],
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
        ],
      };
      expect(changes({ pod: overrides })).toEqual({ added: [], removed: [], changed: DEPLOYMENTS });
      const objects = objectsOf({ pod: overrides });
      for (const role of ['write-api', 'read-api', 'relay', 'projector']) {
        const template = pod(objects, role);
        expect(template.metadata.labels).toEqual({ team: 'growth', ...selectorOf(role) });
        expect(template.metadata.annotations?.['sidecar.istio.io/inject']).toBe('true');
        expect(template.spec.nodeSelector).toEqual({ pool: 'seckill' });
        expect(template.spec.tolerations).toEqual(overrides.tolerations);
        expect(template.spec.priorityClassName).toBe('high');
        expect(template.spec.imagePullSecrets).toEqual([{ name: 'registry' }]);
        // A constraint without a selector spreads this role's own pods.
        expect(template.spec.topologySpreadConstraints).toEqual([
          { ...overrides.topologySpreadConstraints[0], labelSelector: { matchLabels: selectorOf(role) } },
        ]);
        expect(deployment(objects, `flash-${role}`).spec.selector.matchLabels).toEqual(selectorOf(role));
      }
    });

    it('a role’s pod settings merge over the spec’s: maps key by key, the rest replaced', () => {
      const objects = objectsOf({
        pod: {
          labels: { team: 'growth', tier: 'web' },
          nodeSelector: { pool: 'a' },
          priorityClassName: 'low',
        },
        services: { projector: { pod: { labels: { tier: 'batch' }, priorityClassName: 'batch' } } },
      });
      expect(pod(objects, 'projector').metadata.labels).toEqual({
        team: 'growth',
        tier: 'batch',
        ...selectorOf('projector'),
      });
      expect(pod(objects, 'projector').spec.priorityClassName).toBe('batch');
      expect(pod(objects, 'projector').spec.nodeSelector).toEqual({ pool: 'a' });
      expect(pod(objects, 'relay').spec.priorityClassName).toBe('low');
      expect(pod(objects, 'relay').metadata.labels.tier).toBe('web');
    });

    it('antiAffinity spreads a role’s pods over nodes by its own selector, beside any affinity the spec gives', () => {
      const nodeAffinity = { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } };
      const preferred = objectsOf({ pod: { antiAffinity: 'preferred', affinity: { nodeAffinity } } });
      expect(pod(preferred, 'write-api').spec.affinity).toEqual({
        nodeAffinity,
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                labelSelector: { matchLabels: selectorOf('write-api') },
                topologyKey: 'kubernetes.io/hostname',
              },
            },
          ],
        },
      });
      const required = objectsOf({ services: { readApi: { pod: { antiAffinity: 'required' } } } });
      expect(pod(required, 'read-api').spec.affinity).toEqual({
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: selectorOf('read-api') }, topologyKey: 'kubernetes.io/hostname' },
          ],
        },
      });
      expect(pod(required, 'write-api').spec.affinity).toBeUndefined();
    });

    it('podDisruptionBudget adds a policy/v1 budget on the role’s pods, maxUnavailable 1 unless a bound is given', () => {
      expect(changes({ services: { writeApi: { podDisruptionBudget: { enabled: true } } } })).toEqual({
        added: ['PodDisruptionBudget/flash-write-api'],
        removed: [],
        changed: [],
      });
      const objects = objectsOf({
        services: {
          writeApi: { podDisruptionBudget: { enabled: true } },
          readApi: { podDisruptionBudget: { enabled: true, minAvailable: '50%' } },
          relay: { podDisruptionBudget: { enabled: false, maxUnavailable: 1 } },
        },
      });
      expect(get(objects, 'PodDisruptionBudget/flash-write-api')).toMatchObject({
        apiVersion: 'policy/v1',
        spec: { maxUnavailable: 1, selector: { matchLabels: selectorOf('write-api') } },
      });
      expect(
        (get(objects, 'PodDisruptionBudget/flash-read-api') as unknown as { spec: object }).spec,
      ).toEqual({
        minAvailable: '50%',
        selector: { matchLabels: selectorOf('read-api') },
      });
      expect(objects.has('PodDisruptionBudget/flash-relay')).toBe(false);
    });
  });

  describe('scaling.hpa', () => {
    const hpaOn = { scaling: { hpa: { enabled: true } } };

    it('adds CPU HPAs for the two APIs and hands their replica counts to them', () => {
      expect(changes(hpaOn)).toEqual({
        added: ['HorizontalPodAutoscaler/flash-read-api', 'HorizontalPodAutoscaler/flash-write-api'],
        removed: [],
        changed: ['Deployment/flash-read-api', 'Deployment/flash-write-api'],
      });
      const objects = objectsOf(hpaOn);
      expect(deployment(objects, 'flash-write-api').spec.replicas).toBeUndefined();
      expect(get(objects, 'HorizontalPodAutoscaler/flash-write-api')).toMatchObject({
        apiVersion: 'autoscaling/v2',
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'flash-write-api' },
          minReplicas: 2,
          maxReplicas: 10,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
            },
          ],
        },
      });
    });

    it.each([
      ['minReplicas', { minReplicas: 3 }],
      ['maxReplicas', { maxReplicas: 30 }],
      ['targetCPUUtilizationPercentage', { targetCPUUtilizationPercentage: 50 }],
    ])('%s changes the HPAs only', (_field, hpa) => {
      expect(changes({ scaling: { hpa: { enabled: true, ...hpa } } }, hpaOn)).toEqual({
        added: [],
        removed: [],
        changed: ['HorizontalPodAutoscaler/flash-read-api', 'HorizontalPodAutoscaler/flash-write-api'],
      });
    });

    it('uses autoscaling/v2beta2 on a server without autoscaling/v2', () => {
      const objects = new Map(
        desiredState(seckillFixture(hpaOn), { ...ALL, hpaApiVersion: 'autoscaling/v2beta2' }).objects.map(
          (o) => [childKey(o), o],
        ),
      );
      expect(get(objects, 'HorizontalPodAutoscaler/flash-read-api').apiVersion).toBe('autoscaling/v2beta2');
    });

    it('skips the HPA of a disabled API', () => {
      expect(
        changes({ services: { readApi: { enabled: false } }, scaling: { hpa: { enabled: true } } }, hpaOn)
          .removed,
      ).toContain('HorizontalPodAutoscaler/flash-read-api');
    });
  });

  describe('scaling.keda', () => {
    const kedaOn = { scaling: { keda: { enabled: true } } };

    it('adds a ScaledObject for the projector on the read API’s lag, and never an HPA for it', () => {
      expect(changes(kedaOn)).toEqual({
        added: ['ScaledObject/flash-projector'],
        removed: [],
        changed: ['Deployment/flash-projector'],
      });
      const objects = objectsOf(kedaOn);
      expect(deployment(objects, 'flash-projector').spec.replicas).toBeUndefined();
      expect(get(objects, 'ScaledObject/flash-projector')).toMatchObject({
        apiVersion: 'keda.sh/v1alpha1',
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'flash-projector' },
          minReplicaCount: 0,
          maxReplicaCount: 16, // one replica per partition at most: the partition count
          pollingInterval: 30,
          cooldownPeriod: 300,
          triggers: [
            {
              type: 'metrics-api',
              metricType: 'AverageValue',
              metadata: {
                url: 'http://flash-read-api.shop.svc.cluster.local:9090/api/v1/projections/lag',
                format: 'json',
                valueLocation: 'maxLag',
                targetValue: '1000',
                activationTargetValue: '0',
              },
            },
          ],
        },
      });
      const both = objectsOf({ scaling: { hpa: { enabled: true }, keda: { enabled: true } } });
      expect(both.has('HorizontalPodAutoscaler/flash-projector')).toBe(false);
    });

    it.each([
      ['minReplicaCount', { minReplicaCount: 1 }],
      ['maxReplicaCount', { maxReplicaCount: 4 }],
      ['lagThreshold', { lagThreshold: 50 }],
      ['activationLagThreshold', { activationLagThreshold: 5 }],
      ['pollingInterval', { pollingInterval: 10 }],
      ['cooldownPeriod', { cooldownPeriod: 60 }],
      ['lagUrl', { lagUrl: 'http://lag.example/api/v1/projections/lag' }],
    ])('%s changes the ScaledObject only', (_field, keda) => {
      expect(changes({ scaling: { keda: { enabled: true, ...keda } } }, kedaOn)).toEqual({
        added: [],
        removed: [],
        changed: ['ScaledObject/flash-projector'],
      });
    });

    it('caps the projector at the partition count, which every read-side process is told', () => {
      const spec = { projections: { partitions: 4 }, scaling: { keda: { enabled: true } } };
      const objects = objectsOf(spec);
      expect(get(objects, 'ScaledObject/flash-projector')).toMatchObject({ spec: { maxReplicaCount: 4 } });
      for (const name of ['flash-relay', 'flash-projector', 'flash-read-api'])
        expect(envValue(container(objects, name), 'COUPONKILL_PROJECTION_PARTITIONS')).toEqual({
          name: 'COUPONKILL_PROJECTION_PARTITIONS',
          value: '4',
        });
      // A partition count change is a replay, so it restarts every read-side process.
      expect(changes(spec, kedaOn).changed).toEqual(
        expect.arrayContaining([
          'Deployment/flash-relay',
          'Deployment/flash-projector',
          'ScaledObject/flash-projector',
        ]),
      );
    });

    it('follows the read API’s ops port, never its public port', () => {
      const trigger = (spec: Partial<SeckillSpec>) =>
        (
          get(objectsOf(spec), 'ScaledObject/flash-projector') as unknown as {
            spec: { triggers: { metadata: { url: string } }[] };
          }
        ).spec.triggers[0]?.metadata.url;
      expect(
        trigger({
          ...kedaOn,
          services: { readApi: { opsPort: 9500, ports: [{ name: 'http', port: 80, targetPort: 8081 }] } },
        }),
      ).toBe('http://flash-read-api.shop.svc.cluster.local:9500/api/v1/projections/lag');
      expect(changes({ services: { readApi: { opsPort: 9500 } } }, kedaOn)).toEqual({
        added: [],
        removed: [],
        changed: ['Deployment/flash-read-api', 'ScaledObject/flash-projector', 'Service/flash-read-api'],
      });
    });

    it('is reported unsupported, not applied, when the KEDA CRD is missing', () => {
      const state = desiredState(seckillFixture(kedaOn), { ...ALL, keda: false });
      expect(state.objects.map(childKey)).not.toContain('ScaledObject/flash-projector');
      expect(state.unsupported).toEqual([expect.stringContaining('scaling.keda')]);
    });
  });

  describe('monitoring', () => {
    it('prometheusEnabled adds a ServiceMonitor and scrape annotations on every pod template', () => {
      const spec = { monitoring: { prometheusEnabled: true } };
      expect(changes(spec)).toEqual({
        added: ['ServiceMonitor/flash-couponkill'],
        removed: [],
        changed: DEPLOYMENTS,
      });
      const objects = objectsOf(spec);
      for (const role of ['write-api', 'read-api', 'relay', 'projector'])
        expect(deployment(objects, `flash-${role}`).spec.template.metadata.annotations).toEqual({
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': '9090',
          'prometheus.io/path': '/metrics',
        });
      expect(get(objects, 'ServiceMonitor/flash-couponkill')).toMatchObject({
        spec: {
          selector: { matchLabels: { 'app.kubernetes.io/instance': 'flash' } },
          endpoints: [{ port: 'ops', path: '/metrics', interval: '30s' }],
        },
      });
    });

    it('the ServiceMonitor carries the spec’s labels under its own and puts instance and component on every series', () => {
      const objects = objectsOf({
        monitoring: {
          prometheusEnabled: true,
          serviceMonitorLabels: { release: 'kube-prometheus-stack', 'app.kubernetes.io/managed-by': 'me' },
        },
      });
      const monitor = get(objects, 'ServiceMonitor/flash-couponkill') as unknown as {
        metadata: { labels: Record<string, string> };
        spec: { podTargetLabels: string[] };
      };
      expect(monitor.metadata.labels.release).toBe('kube-prometheus-stack');
      // The operator finds and prunes what it owns by this label: a spec label never replaces it.
      expect(monitor.metadata.labels['app.kubernetes.io/managed-by']).toBe('couponkill-operator');
      expect(monitor.spec.podTargetLabels).toEqual([
        'app.kubernetes.io/instance',
        'app.kubernetes.io/component',
      ]);
    });

    it('scrapes the ops port by name: moving it or an API port leaves the ServiceMonitor alone', () => {
      const on = { monitoring: { prometheusEnabled: true } };
      expect(changes({ ...on, services: { writeApi: { opsPort: 9300 } } }, on)).toEqual({
        added: [],
        removed: [],
        changed: ['Deployment/flash-write-api', 'Service/flash-write-api'],
      });
      expect(
        deployment(objectsOf({ ...on, services: { writeApi: { opsPort: 9300 } } }), 'flash-write-api').spec
          .template.metadata.annotations?.['prometheus.io/port'],
      ).toBe('9300');
      expect(
        changes({ ...on, services: { readApi: { ports: [{ name: 'web', port: 80 }] } } }, on).changed,
      ).not.toContain('ServiceMonitor/flash-couponkill');
    });

    it('grafanaEnabled adds the dashboard ConfigMap and nothing else', () => {
      expect(changes({ monitoring: { grafanaEnabled: true } })).toEqual({
        added: ['ConfigMap/flash-grafana-dashboard'],
        removed: [],
        changed: [],
      });
      const cm = get(
        objectsOf({ monitoring: { grafanaEnabled: true } }),
        'ConfigMap/flash-grafana-dashboard',
      );
      expect(cm.metadata.labels.grafana_dashboard).toBe('1');
      const dashboard = JSON.parse((cm.data as Record<string, string>)['couponkill-flash.json'] ?? '') as {
        uid: string;
        title: string;
        panels: unknown[];
        templating: { list: { name: string; current?: unknown }[] };
      };
      // The chart's dashboard, with this Seckill's uid, title and variables.
      expect(dashboard.panels).toEqual(overview.panels);
      expect(dashboard).toMatchObject({ uid: 'couponkill-flash', title: 'CouponKill flash' });
      const current = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v.current]));
      expect(current.namespace).toEqual({ text: 'shop', value: 'shop' });
      expect(current.seckill).toEqual({ text: ['flash'], value: ['flash'] });
      expect(JSON.stringify(cm)).toContain('couponkill_projection_lag_events');
    });

    it('enabled=false turns both off', () => {
      const on = { monitoring: { prometheusEnabled: true, grafanaEnabled: true } };
      expect(changes({ monitoring: { ...on.monitoring, enabled: false } }, on)).toEqual({
        added: [],
        removed: ['ConfigMap/flash-grafana-dashboard', 'ServiceMonitor/flash-couponkill'],
        changed: DEPLOYMENTS,
      });
    });

    it('without the ServiceMonitor CRD it is reported unsupported', () => {
      const state = desiredState(seckillFixture({ monitoring: { prometheusEnabled: true } }), {
        ...ALL,
        serviceMonitor: false,
      });
      expect(state.unsupported).toEqual([expect.stringContaining('prometheusEnabled')]);
    });
  });
});
