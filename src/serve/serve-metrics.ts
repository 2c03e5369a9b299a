// What the server counts, per model and A/B arm: requests by route and status, rows
// predicted, errors by kind, request latency and batch sizes.
import { Counter, Histogram, Registry } from './prometheus.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

export class ServeMetrics {
  readonly registry = new Registry();
  readonly requests = this.registry.add(new Counter('trunkline_requests_total', 'HTTP requests by route and status code'));
  readonly rows = this.registry.add(new Counter('trunkline_rows_total', 'rows predicted, by arm and model'));
  readonly armRequests = this.registry.add(new Counter('trunkline_arm_requests_total', 'predict requests that had rows served by the arm, by arm and model'));
  readonly errors = this.registry.add(new Counter('trunkline_errors_total', 'requests that failed, by kind (bad input, auth, load failures, internal)'));
  readonly feedbackRows = this.registry.add(new Counter('trunkline_feedback_rows_total', 'labelled rows written to the feedback log, by arm and model'));
  readonly reloads = this.registry.add(new Counter('trunkline_reloads_total', 'model reloads by arm and result'));
  readonly modelInfo = this.registry.add(new Counter('trunkline_model_info', 'the model each arm serves (value 1), with its load time', 'gauge'));
  readonly latency = this.registry.add(new Histogram('trunkline_request_duration_seconds', 'request latency from arrival to reply, by route', LATENCY_BUCKETS));
  readonly armLatency = this.registry.add(new Histogram('trunkline_predict_duration_seconds', 'predict latency by arm and model (arrival to answers ready)', LATENCY_BUCKETS));
  readonly batchRows = this.registry.add(new Histogram('trunkline_batch_rows', 'rows per forward pass, by arm and model', BATCH_BUCKETS));
  readonly forward = this.registry.add(new Histogram('trunkline_forward_duration_seconds', 'time of one batched forward pass (features and model), by arm and model', LATENCY_BUCKETS));

  render(): string {
    return this.registry.render();
  }
}
