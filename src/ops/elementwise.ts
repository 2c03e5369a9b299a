// Elementwise ops: unary maps and broadcasting binary ops, each with its gradient.
import type { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, broadcastStrides } from '../tensor/shape.js';
import { native } from '../native.js';
import { asTensor, checkFloat, checkTensor, empty, record, sameDevice } from './core.js';

// Op codes and which backward reads the forward output, as the addon lists them
// (native/core/element_math.h), looked up by name.
interface OpInfo { code: number; needsOutput: boolean }
function opTable(list: readonly { name: string; needsOutput: boolean }[]): Map<string, OpInfo> {
  return new Map(list.map((o, code) => [o.name, { code, needsOutput: o.needsOutput }]));
}
const { unary: unaryList, binary: binaryList } = native.elementwise_ops();
const Unary = opTable(unaryList);
const Binary = opTable(binaryList);

function lookup(table: Map<string, OpInfo>, name: string): OpInfo {
  const op = table.get(name);
  if (!op) throw new Error(`${name}: the native addon has no kernel for it (rebuild it: npm run build:native)`);
  return op;
}

function unary(name: string, x: Tensor, p0 = 0, p1 = 0): Tensor {
  checkFloat(x, name);
  const { code, needsOutput } = lookup(Unary, name);
  const out = empty(x.shape, x.device, 'float32', false, name);
  native.unary_forward(code, out.kbuf, x.kbuf, x.size, p0, p1);
  return record(
    out,
    name,
    [x],
    (g, grads) => {
      const gx = grads.of(0);
      if (gx) native.unary_backward(code, gx.kbuf, g.kbuf, x.kbuf, needsOutput ? out.kbuf : null, x.size, p0, p1);
    },
    [x, out],
  );
}

function binary(name: string, a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${name}: at least one operand must be a Tensor`);
  // Check the tensor operand before reading its device, so a disposed or non-tensor
  // operand is reported by name rather than as a property access failure.
  const device = typeof a === 'number' ? checkTensor(b, name, 'second operand').device : checkTensor(a, name, 'first operand').device;
  const ta = checkFloat(asTensor(a, device, name), name, 'first operand');
  const tb = checkFloat(asTensor(b, device, name), name, 'second operand');
  sameDevice(name, ta, tb);
  const shape = broadcastShapes(ta.shape, tb.shape, name);
  const sa = broadcastStrides(ta.shape, shape);
  const sb = broadcastStrides(tb.shape, shape);
  const { code, needsOutput } = lookup(Binary, name);
  const out = empty(shape, device, 'float32', false, name);
  native.binary_forward(code, out.kbuf, ta.kbuf, tb.kbuf, shape, sa, sb);
  return record(
    out,
    name,
    [ta, tb],
    (g, grads) => {
      const ga = grads.of(0);
      const gb = grads.of(1);
      if (!ga && !gb) return;
      native.binary_backward(code, ga?.kbuf ?? null, gb?.kbuf ?? null, g.kbuf, ta.kbuf, tb.kbuf, needsOutput ? out.kbuf : null, shape, sa, sb);
    },
    [ta, tb, out],
  );
}

/** a + b, broadcasting. */
export function add(a: Tensor, b: Tensor | number): Tensor { return binary('add', a, b); }
/** a - b, broadcasting. */
export function sub(a: Tensor, b: Tensor | number): Tensor { return binary('sub', a, b); }
/** a * b, broadcasting. */
export function mul(a: Tensor, b: Tensor | number): Tensor { return binary('mul', a, b); }
/** a / b, broadcasting. */
export function div(a: Tensor, b: Tensor | number): Tensor { return binary('div', a, b); }
/** Elementwise larger of a and b (ties send the gradient to a). */
export function maximum(a: Tensor, b: Tensor | number): Tensor { return binary('maximum', a, b); }
/** Elementwise smaller of a and b (ties send the gradient to a). */
export function minimum(a: Tensor, b: Tensor | number): Tensor { return binary('minimum', a, b); }
/** a ** b: a number exponent uses the scalar kernel (negative bases allowed). */
export function pow(a: Tensor, b: Tensor | number): Tensor {
  if (typeof b === 'number') return unary('powScalar', checkTensor(a, 'pow'), b);
  return binary('pow', a, b);
}
/** Subtraction with a number on the left: n - x. */
export function rsub(x: Tensor, n: number): Tensor { return binary('sub', n, x); }

export function neg(x: Tensor): Tensor { return unary('neg', x); }
export function exp(x: Tensor): Tensor { return unary('exp', x); }
export function log(x: Tensor): Tensor { return unary('log', x); }
export function sqrt(x: Tensor): Tensor { return unary('sqrt', x); }
export function abs(x: Tensor): Tensor { return unary('abs', x); }
export function square(x: Tensor): Tensor { return unary('powScalar', x, 2); }
export function relu(x: Tensor): Tensor { return unary('relu', x); }
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor { return unary('leakyRelu', x, negativeSlope); }
/** GELU, tanh approximation. */
export function gelu(x: Tensor): Tensor { return unary('gelu', x); }
export function sigmoid(x: Tensor): Tensor { return unary('sigmoid', x); }
export function tanh(x: Tensor): Tensor { return unary('tanh', x); }
/** SiLU (swish): x * sigmoid(x). */
export function silu(x: Tensor): Tensor { return unary('silu', x); }
/** Softplus: log(1 + exp(x)), computed without overflow; its derivative is sigmoid(x). */
export function softplus(x: Tensor): Tensor { return unary('softplus', x); }
/** Clamps to [min, max]; the gradient passes where the input was inside. */
export function clamp(x: Tensor, min = -Infinity, max = Infinity): Tensor {
  if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max))
    throw new Error(`clamp: bounds must be numbers, got ${String(min)} and ${String(max)}`);
  if (min > max) throw new Error(`clamp: min ${min} is greater than max ${max}`);
  return unary('clamp', x, min, max);
}
