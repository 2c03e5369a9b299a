// Training progress: a cli-progress bar (ETA, per-task losses, samples/s) on a terminal,
// one plain line per epoch otherwise, nothing when disabled.
import cliProgress from 'cli-progress';
import type { EpochRecord } from './history.js';

const fmt = (v: number): string => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4)) : String(v));

export type ProgressOption = boolean | 'auto' | 'lines';

export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private readonly mode: 'bar' | 'lines' | 'off';
  private readonly running = new Map<string, number>();

  /**
   * 'auto' (the library's default): a bar on a terminal, nothing otherwise, so a script or
   * a server log is not filled with epochs; true: a bar on a terminal, a line per epoch
   * otherwise (the CLI); 'lines': a line per epoch; false: nothing.
   */
  constructor(option: ProgressOption, private readonly tasks: string[], private readonly out: NodeJS.WriteStream = process.stdout) {
    this.mode = option === false ? 'off' : option === 'lines' ? 'lines' : out.isTTY ? 'bar' : option === 'auto' ? 'off' : 'lines';
  }

  startEpoch(epoch: number, epochs: number, steps: number): void {
    this.running.clear();
    if (this.mode !== 'bar') return;
    this.bar?.stop();
    this.bar = new cliProgress.SingleBar(
      {
        format: `epoch ${epoch + 1}/${epochs} [{bar}] {value}/{total} | ETA {eta_formatted} | {losses} | {rate} samples/s`,
        stream: this.out,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(steps, 0, { losses: '', rate: '0' });
  }

  update(done: number, samples: number, seconds: number, losses: Record<string, number>): void {
    if (this.mode !== 'bar' || !this.bar) return;
    // An exponential moving average keeps the displayed losses readable.
    for (const [t, v] of Object.entries(losses)) this.running.set(t, this.running.has(t) ? 0.9 * this.running.get(t)! + 0.1 * v : v);
    const text = this.tasks.filter((t) => this.running.has(t)).map((t) => `${t} ${fmt(this.running.get(t)!)}`).join(' ');
    this.bar.update(done, { losses: text, rate: (samples / Math.max(seconds, 1e-9)).toFixed(0) });
  }

  endEpoch(rec: EpochRecord): void {
    if (this.mode === 'off') return;
    if (this.mode === 'bar') {
      this.bar?.stop();
      this.bar = null;
    }
    const losses = Object.entries(rec.loss).map(([t, v]) => `${t}=${fmt(v)}`).join(' ');
    const val = rec.validation
      ? ' | val ' + Object.entries(rec.validation.metrics).map(([t, m]) => `${t}: ${Object.entries(m).map(([k, v]) => `${k}=${fmt(v)}`).join(' ')}`).join('; ')
      : '';
    const line = `epoch ${rec.epoch + 1} ${rec.seconds.toFixed(1)}s ${rec.samplesPerSecond.toFixed(0)} samples/s | loss ${losses}${val}`;
    this.out.write(line + '\n');
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
