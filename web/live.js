const REOPEN_AFTER_MS = 2000;

/**
 * The orchestrator's Server-Sent Events stream for one watched test. EventSource reconnects by
 * itself after a dropped connection; a new one is opened here only when it gives up for good (an
 * HTTP error while the orchestrator restarts) or the orchestrator says goodbye. Each event is
 * handed on exactly once.
 */
export class LiveStream {
  #source = null;
  #testId = null;
  #reopenTimer = null;

  constructor(handlers) {
    this.handlers = handlers;
  }

  watch(testId) {
    if (this.#source && this.#testId === testId) return;
    this.#testId = testId;
    this.#open();
  }

  #open() {
    this.#close();
    const query = this.#testId ? `?test_id=${encodeURIComponent(this.#testId)}` : '';
    const source = new EventSource(`/api/events${query}`);
    this.#source = source;
    const watched = this.#testId;
    source.addEventListener('open', () => this.handlers.onConnection(true));
    source.addEventListener('error', () => this.#onError(source));
    source.addEventListener('bye', () => this.#onBye(source));
    source.addEventListener('status', (event) => this.handlers.onStatus(JSON.parse(event.data)));
    source.addEventListener('drivers', (event) => this.handlers.onDrivers(JSON.parse(event.data)));
    source.addEventListener('tests', (event) => this.handlers.onTests(JSON.parse(event.data)));
    source.addEventListener('test', (event) => {
      const test = JSON.parse(event.data);
      // A stream opened for a previous selection may still deliver a last event.
      if (test.test_id === watched) this.handlers.onTest(test);
    });
  }

  /**
   * The orchestrator is shutting down. Closing our side lets its shutdown finish (it waits for open
   * connections) and frees us from a connection that will never send anything again.
   */
  #onBye(source) {
    if (source !== this.#source) return;
    this.handlers.onConnection(false);
    this.#close();
    this.#reopenTimer = setTimeout(() => this.#open(), REOPEN_AFTER_MS);
  }

  #onError(source) {
    if (source !== this.#source) return;
    this.handlers.onConnection(false);
    if (source.readyState === EventSource.CLOSED) this.#reopenTimer = setTimeout(() => this.#open(), REOPEN_AFTER_MS);
  }

  #close() {
    clearTimeout(this.#reopenTimer);
    this.#source?.close();
    this.#source = null;
  }
}
