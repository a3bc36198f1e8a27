import { basename, dirname, extname, join } from 'node:path';
import { KafkaBus, type KafkaSecurity } from '../bus/index.js';
import { DataCatalog } from './data/dataCatalog.js';
import { RowDealer } from './data/rowDealer.js';
import { dataRowCounts } from './data/testData.js';
import { createLogger, type Logger } from '../log/logger.js';
import { MetricsStore } from '../store/metricsStore.js';
import { LiveUpdates } from './liveUpdates.js';
import { PlanRunner } from './planRunner.js';
import { CapacityRunner } from './capacityRunner.js';
import { Retention, RETENTION_SWEEP_MS, type RetentionPolicy } from './retention.js';
import { buildRestApi } from './restApi.js';
import { RuntimeController } from './runtimeController.js';
import { FiguresCalculator } from './testFigures.js';

export type OrchestratorOptions = {
  brokers: string[];
  /** TLS and SASL for a secured cluster. */
  security?: KafkaSecurity | undefined;
  /** Aborts the wait for an unreachable broker at start-up. */
  signal?: AbortSignal | undefined;
  host: string;
  port: number;
  storeFile: string;
  /** Where uploaded test data is kept; default: beside the store, `<store name>-data/`. */
  dataDir?: string | undefined;
  token?: string | undefined;
  /** Signs test_config, trigger and control, so drivers with the same secret obey only this orchestrator. */
  commandSecret?: string | undefined;
  /** Removes finished tests and plans past an age or a count (--retain, --retain-tests); none when absent. */
  retention?: RetentionPolicy | undefined;
  log?: Logger;
};

export type RunningOrchestrator = { url: string; controller: RuntimeController; close(): Promise<void> };

/** Wires the parts together: store → test log → controller (Kafka) → REST API and live updates. */
export async function startOrchestrator(options: OrchestratorOptions): Promise<RunningOrchestrator> {
  const log = options.log ?? createLogger('orchestrator');
  const store = MetricsStore.open(options.storeFile);
  const catalog = DataCatalog.open(options.dataDir ?? defaultDataDir(options.storeFile));
  let bus: KafkaBus | undefined;
  let dealer: RowDealer | undefined;
  try {
    bus = await KafkaBus.connect({ brokers: options.brokers, security: options.security, signal: options.signal, clientId: 'orchestrator', log, commandSecret: options.commandSecret });
    const controller = new RuntimeController(bus, store, log);
    await controller.start();
    dealer = new RowDealer({ bus, tests: controller.tests, catalog, store, log });
    await dealer.start();
    const connectedDealer = dealer;
    const figures = new FiguresCalculator();
    const live = new LiveUpdates(controller, figures);
    const plans = new PlanRunner(controller, figures, log, (data) => dataRowCounts(data, catalog));
    const capacity = new CapacityRunner(controller, log);
    const connectedBus = bus;
    const app = buildRestApi({ controller, catalog, plans, figures, live, log, token: options.token, rejectedMessages: () => connectedBus.counters.rejected });
    await app.listen({ host: options.host, port: options.port });
    live.start();
    plans.start();
    capacity.resume();
    const retention = options.retention ? new Retention(controller.tests, controller.plans, store, options.retention, log) : undefined;
    const sweepRetention = () => {
      try {
        retention?.sweep(Date.now());
      } catch (error) {
        log.error({ err: error }, 'retention sweep failed; it is tried again');
      }
    };
    sweepRetention();
    const retentionTimer = retention ? setInterval(sweepRetention, RETENTION_SWEEP_MS) : undefined;
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
    log.info({ url, store: options.storeFile, kafka: options.brokers, token_required: options.token !== undefined, commands_signed: options.commandSecret !== undefined }, 'orchestrator listening');
    return {
      url,
      controller,
      close: async () => {
        clearInterval(retentionTimer);
        plans.stop();
        live.stop();
        await app.close();
        await connectedDealer.stop();
        await controller.stop();
        await connectedBus.close();
        catalog.close();
        store.close();
      },
    };
  } catch (error) {
    await dealer?.stop();
    await bus?.close();
    catalog.close();
    store.close();
    throw error;
  }
}

function defaultDataDir(storeFile: string): string {
  return join(dirname(storeFile), `${basename(storeFile, extname(storeFile))}-data`);
}
