export type DType = 'float32' | 'int32';
export type Device = 'cpu' | 'cuda';

export type TypedArrayFor<D extends DType> = D extends 'int32' ? Int32Array : Float32Array;

export const DTYPES: readonly DType[] = ['float32', 'int32'];

export function checkDtype(dtype: unknown, where: string): DType {
  if (dtype === 'float32' || dtype === 'int32') return dtype;
  throw new Error(`${where}: unknown dtype ${JSON.stringify(dtype)} (expected 'float32' or 'int32')`);
}

export function checkDevice(device: unknown, where: string): Device {
  if (device === 'cpu' || device === 'cuda') return device;
  throw new Error(`${where}: unknown device ${JSON.stringify(device)} (expected 'cpu' or 'cuda')`);
}
