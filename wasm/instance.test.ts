// Loading the core: the scalar build where the engine rejects SIMD, or where it is forced.

import test from 'ava';
import { WasmError } from './errors.js';
import { chooseVariant, instantiateCore, KERNELS } from './instance.js';

test('instance — SIMD when the engine accepts it, scalar when it does not or when forced', (t) => {
  t.is(chooseVariant(true, undefined), 'simd');
  t.is(chooseVariant(false, undefined), 'scalar');
  t.is(chooseVariant(true, ''), 'simd');
  t.is(chooseVariant(true, 'scalar'), 'scalar');
  t.is(chooseVariant(true, 'simd'), 'simd');
  const forced = t.throws(() => chooseVariant(false, 'simd'), { instanceOf: WasmError });
  t.regex(forced?.message ?? '', /CALLE_WASM_VARIANT: simd forced but this engine rejects SIMD/);
  const bad = t.throws(() => chooseVariant(true, 'fast'), { instanceOf: WasmError });
  t.is(bad?.code, 'WASM_BAD_PARAM');
});

test('instance — both builds load and export every kernel', (t) => {
  for (const variant of ['simd', 'scalar'] as const) {
    const core = instantiateCore(variant);
    for (const name of KERNELS) t.is(typeof core[name], 'function', `${variant} ${name}`);
    t.is(core.memory.buffer.byteLength, 130 * 65536, 'memory sized up front (asconfig.json)');
  }
});
