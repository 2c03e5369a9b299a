#!/usr/bin/env node
// The trunkline command line (train | eval | predict | bench). Placeholder until the
// main job lands: shows the engine working.
import * as tl from '../index.js';

const a = tl.randn([2, 3]);
console.log('trunkline engine demo');
console.log(a.toString());
console.log(tl.relu(a).toString());
