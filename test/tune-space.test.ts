// The search space of `trunkline tune`: every bad input is an error naming the field before
// any trial starts; sampling is deterministic; the grid lists every combination in a fixed order.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig, validateConfig } from '../src/cli/config.js';
import { applyParams, parseSpace, samplePoint, trialRng, type Space } from '../src/tune/space.js';
import { gridPoint, gridSize } from '../src/tune/grid.js';
import { makeSampler } from '../src/tune/sampler.js';
import { parseObjective } from '../src/tune/objective.js';
import { newSearchSettings } from '../src/cli/tune.js';
import { tempDir } from './helpers/tmp.js';

const config = defaultConfig();
const parse = (raw: unknown) => parseSpace(raw, config, 'space.json');

const bad: [string, unknown, RegExp][] = [
  ['a path that is not in the config', { 'training.learningRate': [0.1] }, /space\.json: unknown parameter 'training\.learningRate' \(known: .*training\.lr/],
  ['a section that does not exist', { 'optim.lr': [0.1] }, /unknown parameter 'optim\.lr'/],
  ['a task that is not in the config', { 'tasks.clicks.weight': [1, 2] }, /'tasks\.clicks\.weight': the config has no task 'clicks' \(tasks: y, housing, loan\)/],
  ['a task field that cannot be tuned', { 'tasks.y.type': ['binary'] }, /unknown parameter 'tasks\.y\.type'/],
  ['an empty list of choices', { 'training.weighting': [] }, /'training\.weighting': the list of choices is empty/],
  ['a range with lo > hi', { 'training.lr': { range: [0.1, 0.01] } }, /'training\.lr': range \[0\.1, 0\.01\] is empty \(lo > hi\)/],
  ['an empty range (lo = hi)', { 'model.idDropout': { range: [0.1, 0.1] } }, /'model\.idDropout': range \[0\.1, 0\.1\] is empty/],
  ['an int range with lo > hi', { 'model.experts': { int: [8, 2] } }, /'model\.experts': int \[8, 2\] is empty/],
  ['a task-weight range below zero', { 'tasks.loan.weight': { range: [-0.5, 2] } }, /'tasks\.loan\.weight': a task weight cannot be below zero/],
  ['a task-weight choice below zero', { 'tasks.loan.weight': [1, -1] }, /'tasks\.loan\.weight': a task weight cannot be below zero, got -1/],
  ['a log range with lo = 0', { 'training.lr': { log: [0, 0.1] } }, /'training\.lr': a log range needs lo > 0/],
  ['a log range with lo < 0', { 'training.lr': { log: [-1, 0.1] } }, /a log range needs lo > 0/],
  ['a choice the config refuses', { 'training.weighting': ['equal', 'bogus'] }, /'training\.weighting': bogus is not a valid value/],
  ['an architecture that does not exist', { 'model.architecture': ['mmoe', 'transformer'] }, /'model\.architecture': transformer is not a valid value \(config: model\.architecture must be one of/],
  ['a continuous range for a whole number', { 'training.batchSize': { range: [32, 512] } }, /'training\.batchSize' is a whole number: use \{ "int": \[lo, hi\] \}/],
  ['a range for layer widths', { 'model.hidden': { int: [8, 64] } }, /'model\.hidden' takes a list of choices \(layer widths/],
  ['a value of the wrong shape', { 'training.lr': 0.1 }, /'training\.lr' must be a list of choices, \{ "range": \[lo, hi\] \}/],
  ['an empty space', {}, /the space is empty/],
  ['not an object', [1, 2], /the space must be a JSON object/],
];
for (const [what, raw, message] of bad)
  test(`space: ${what} is an error naming the field`, (t) => {
    t.throws(() => parse(raw), { message });
  });

test('space: a good space parses, and every sampled config passes the config validation', (t) => {
  const space = parse({
    'training.lr': { log: [1e-4, 1e-2] },
    'training.batchSize': [128, 256, 512],
    'training.weighting': ['equal', 'uncertainty', 'dwa'],
    'tasks.y.weight': { range: [0.5, 2] },
    'model.architecture': ['mmoe', 'shared-bottom', 'ple'],
    'model.hidden': [[64, 32], [128]],
    'model.idDropout': { range: [0, 0.3] },
    'model.experts': { int: [2, 6] },
  });
  t.is(space.params.length, 8);
  for (let i = 1; i <= 50; i++) {
    const p = samplePoint(space, trialRng(7, i));
    const lr = p['training.lr'] as number;
    t.true(lr >= 1e-4 && lr <= 1e-2);
    t.true(Number.isInteger(p['model.experts']) && (p['model.experts'] as number) >= 2 && (p['model.experts'] as number) <= 6);
    t.notThrows(() => validateConfig(applyParams(config, p)));
  }
  // applyParams leaves the original alone.
  t.is(config.training.lr, 1e-3);
});

test('space: random sampling is deterministic per (seed, trial) and differs across trials and seeds', (t) => {
  const space = parse({ 'training.lr': { log: [1e-4, 1e-1] }, 'training.batchSize': { int: [16, 1024] }, 'training.weighting': ['equal', 'dwa', 'rlw', 'famo'] });
  const s1 = makeSampler('random', { space, seed: 3, lag: 1 });
  const s2 = makeSampler('random', { space, seed: 3, lag: 2 });
  const a = [1, 2, 3, 4, 5].map((i) => s1.suggest(i, []));
  // Order of drawing does not matter.
  const b = [5, 4, 3, 2, 1].map((i) => s2.suggest(i, [])).reverse();
  t.deepEqual(a, b);
  t.notDeepEqual(a[0], a[1]);
  t.notDeepEqual(makeSampler('random', { space, seed: 4, lag: 1 }).suggest(1, []), a[0]);
});

test('space: the grid lists every combination once, the first parameter varying slowest', (t) => {
  const space: Space = parse({ 'training.batchSize': [128, 256], 'training.weighting': ['equal', 'dwa', 'famo'], 'model.experts': { int: [2, 3] } });
  t.is(gridSize(space), 12);
  const points = Array.from({ length: 12 }, (_, i) => gridPoint(space, i));
  t.deepEqual(points[0], { 'training.batchSize': 128, 'training.weighting': 'equal', 'model.experts': 2 });
  t.deepEqual(points[1], { 'training.batchSize': 128, 'training.weighting': 'equal', 'model.experts': 3 });
  t.deepEqual(points[2], { 'training.batchSize': 128, 'training.weighting': 'dwa', 'model.experts': 2 });
  t.deepEqual(points[11], { 'training.batchSize': 256, 'training.weighting': 'famo', 'model.experts': 3 });
  t.is(new Set(points.map((p) => JSON.stringify(p))).size, 12);
  const grid = makeSampler('grid', { space, seed: 1, lag: 1 });
  t.is(grid.limit, 13, 'trial 0 and the 12 combinations');
  t.deepEqual(grid.suggest(1, []), points[0]);
});

test('space: a grid over a continuous range is an error naming it', (t) => {
  const space = parse({ 'training.batchSize': [128, 256], 'training.lr': { log: [1e-4, 1e-2] } });
  t.throws(() => makeSampler('grid', { space, seed: 1, lag: 1 }), { message: /--search grid: 'training\.lr' is a continuous log range/ });
});

test('objective: mean, one task, weights; unknown tasks and bad weights are errors', (t) => {
  const tasks = ['y', 'housing', 'loan'];
  t.deepEqual(parseObjective('mean', tasks), { y: 1, housing: 1, loan: 1 });
  t.deepEqual(parseObjective('y', tasks), { y: 1 });
  t.deepEqual(parseObjective('y=2,loan=0.5', tasks), { y: 2, loan: 0.5 });
  t.throws(() => parseObjective('clicks', tasks), { message: /--objective 'clicks'/ });
  t.throws(() => parseObjective('y=2,clicks=1', tasks), { message: /no task 'clicks'/ });
  t.throws(() => parseObjective('y=-1', tasks), { message: /weight of 'y' must be a number >= 0/ });
  t.throws(() => parseObjective('y=0', tasks), { message: /at least one weight/ });
});

test('command options: --parallel above the cores, --trials < 1 and a bad space fail before anything is written', (t) => {
  const dir = tempDir();
  const space = join(dir, 'space.json');
  writeFileSync(space, JSON.stringify({ 'training.lr': { log: [1e-4, 1e-2] } }));
  const log = () => {};
  const out = join(dir, 'runs');
  t.throws(() => newSearchSettings({ space, parallel: '3', out, log, cores: 2 }), { message: /--parallel 3 is more than this machine's 2 cores/ });
  t.throws(() => newSearchSettings({ space, trials: '0', out, log, cores: 2 }), { message: /--trials must be at least 1, got 0/ });
  t.throws(() => newSearchSettings({ space, trials: 'x', out, log, cores: 2 }), { message: /--trials must be a whole number/ });
  t.throws(() => newSearchSettings({ space, search: 'grid', out, log, cores: 2 }), { message: /--search grid: 'training\.lr' is a continuous/ });
  t.throws(() => newSearchSettings({ space, search: 'bayes', out, log, cores: 2 }), { message: /--search must be random, grid, tpe/ });
  t.throws(() => newSearchSettings({ space, objective: 'clicks', out, log, cores: 2 }), { message: /--objective 'clicks'/ });
  writeFileSync(space, JSON.stringify({ 'tasks.nope.weight': [1] }));
  t.throws(() => newSearchSettings({ space, out, log, cores: 2 }), { message: /space\.json: 'tasks\.nope\.weight': the config has no task 'nope'/ });
  writeFileSync(space, JSON.stringify({ 'training.lr': { log: [1e-4, 1e-2] }, 'tasks.y.weight': { range: [0, 2] } }));
  const s = newSearchSettings({ space, parallel: '2', trials: '5', out, log, cores: 2 });
  t.like(s, { search: 'random', trials: 5, parallel: 2, objective: 'mean', seed: 1, asha: null });
});
