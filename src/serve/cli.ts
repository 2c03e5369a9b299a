// The `serve` and `ab-report` commands, registered on the trunkline program. Their code
// (and fastify) is imported when one of them runs, so other commands start as fast as before.
import { Command, InvalidArgumentError } from 'commander';
import { positiveIntArg } from '../cli/arg-parsers.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number >= 0, got '${value}'`);
  return n;
}


function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port 0..65535, got '${value}'`);
  return n;
}

export function registerServeCommands(program: Command, log: (s: string) => void): void {
  program
    .command('serve')
    .description('answer predictions over HTTP from saved model(s): POST /predict, /feedback, /admin/reload; GET /health, /model, /metrics')
    .requiredOption('--model <run>', 'a run directory (runs/<id>); repeat as name=dir for A/B arms', collect)
    .option('--port <n>', 'port (0: any free port)', port, 8080)
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--split <weights>', 'A/B weights per arm, e.g. a=0.9,b=0.1 (default: equal)')
    .option('--split-key <column>', 'row column that keeps a key on one arm (e.g. user_id)')
    .option('--batch-window-ms <ms>', 'how long a request waits for others to share its forward pass', nonNegative, 1)
    .option('--max-batch-rows <n>', 'rows that start a forward pass at once', positiveIntArg, 256)
    .option('--max-rows <n>', 'most rows in one request', positiveIntArg, 1024)
    .option('--body-limit <bytes>', 'largest request body', positiveIntArg, 1 << 20)
    .option('--feedback-dir <dir>', 'turn on POST /feedback, appending labelled rows to <dir>/feedback-YYYY-MM-DD.jsonl')
    .option('--token <token>', 'bearer token for /feedback and /admin/* (or TRUNKLINE_TOKEN)')
    .option('--allow-unauthenticated-writes', 'without a token, open /feedback and /admin/* to anyone who can reach the port')
    .action(async (opts) => {
      const { serve } = await import('./server.js');
      const app = await serve(opts.model, {
        port: opts.port,
        host: opts.host,
        split: opts.split,
        splitKey: opts.splitKey,
        batchWindowMs: opts.batchWindowMs,
        maxBatchRows: opts.maxBatchRows,
        maxRowsPerRequest: opts.maxRows,
        bodyLimit: opts.bodyLimit,
        feedbackDir: opts.feedbackDir,
        token: opts.token,
        allowUnauthenticatedWrites: opts.allowUnauthenticatedWrites === true,
      });
      const state = app.trunkline;
      for (const [name, arm] of state.arms) log(`arm ${name}: ${arm.model.id} (${arm.model.run.dir}), weight ${state.weights.get(name)!.toFixed(3)}`);
      const writes = state.options.token ? 'token required' : state.options.allowUnauthenticatedWrites ? 'OPEN without a token' : 'off (no --token)';
      log(`feedback: ${state.feedback ? state.feedback.dir : 'off (no --feedback-dir)'}; /feedback and /admin/*: ${writes}`);
      const address = app.server.address();
      log(`listening on http://${typeof address === 'object' && address ? `${address.address}:${address.port}` : address}`);
      const stop = () => void app.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  program
    .command('ab-report')
    .description('per A/B arm and task: AUC / log loss / RMSE of the served predictions in the feedback log, with 95% intervals')
    .requiredOption('--feedback-dir <dir>', 'the directory serve --feedback-dir wrote (or a feedback-*.jsonl file)')
    .option('--json', 'print the report as JSON')
    .action(async (opts) => {
      const { abReport, formatAbReport } = await import('./ab-report.js');
      const report = abReport([opts.feedbackDir]);
      log(opts.json ? JSON.stringify(report, null, 2) : formatAbReport(report));
    });
}
