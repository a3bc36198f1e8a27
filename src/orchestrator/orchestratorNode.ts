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
import { SummaryViews } from './summaryViews.js';
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
  let controller: RuntimeController | undefined;
  let dealer: RowDealer | undefined;
  try {
    bus = await KafkaBus.connect({ brokers: options.brokers, security: options.security, signal: options.signal, clientId: 'orchestrator', log, commandSecret: options.commandSecret });
    const startedController = new RuntimeController(bus, store, log);
    controller = startedController;
    await startedController.start();
    dealer = new RowDealer({ bus, tests: startedController.tests, catalog, store, log });
    await dealer.start();
    const connectedDealer = dealer;
    const figures = new FiguresCalculator();
    const summaries = new SummaryViews(startedController.tests, figures);
    const live = new LiveUpdates(startedController, figures, summaries);
    const plans = new PlanRunner(startedController, figures, log, (data) => dataRowCounts(data, catalog));
    const capacity = new CapacityRunner(startedController, log);
    const connectedBus = bus;
    const app = buildRestApi({ controller: startedController, catalog, plans, figures, summaries, live, log, token: options.token, rejectedMessages: () => connectedBus.counters.rejected });
    await app.listen({ host: options.host, port: options.port });
    live.start();
    plans.start();
    capacity.resume();
    const retention = options.retention ? new Retention(startedController.tests, startedController.plans, store, options.retention, log) : undefined;
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
      controller: startedController,
      close: async () => {
        clearInterval(retentionTimer);
        plans.stop();
        live.stop();
        await app.close();
        await connectedDealer.stop();
        await startedController.stop();
        await connectedBus.close();
        catalog.close();
        store.close();
      },
    };
  } catch (error) {
    // Everything started so far stops, its timers too: a port already in use must end the process, not leave it running.
    await dealer?.stop();
    await controller?.stop();
    await bus?.close();
    catalog.close();
    store.close();
    throw error;
  }
}

function defaultDataDir(storeFile: string): string {
  return join(dirname(storeFile), `${basename(storeFile, extname(storeFile))}-data`);
}
