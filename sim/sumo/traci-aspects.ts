// calle's signal aspects as SUMO state characters (REFERENCE §1: `rRgGyYuoOs`).
//
// Green is written as protected `G`, except for a head configured as permissive (param
// `green: "g"`): a movement that the model lets run with a foe because it yields to it (a left
// turn filtering through opposing traffic, sumo-net-model.ts `permissive`). SUMO then applies
// the junction's right-of-way to it, as a driver facing a green ball (not an arrow) must. Flash is `o` (blinking amber, vehicles yield: SUMO's "off, blinking"), the
// fail-safe a latched supervisor commands; dark is `O` (off, no signal).
import type { PointValue } from '../../edge/devices/device-view.js';

const CHAR: Readonly<Record<string, string>> = {
  red: 'r',
  yellow: 'y',
  green: 'G',
  flash: 'o',
  dark: 'O',
};

/** The SUMO character for an aspect value, or undefined if it is not an aspect. */
export function sumoChar(aspect: PointValue, permissive = false): string | undefined {
  if (permissive && aspect === 'green') return 'g';
  return typeof aspect === 'string' ? CHAR[aspect] : undefined;
}

/** The aspect a SUMO character shows (minor green counts as green). */
export function aspectOf(ch: string): string {
  if (ch === 'G' || ch === 'g') return 'green';
  if (ch === 'y' || ch === 'Y' || ch === 'u') return 'yellow';
  if (ch === 'o') return 'flash';
  if (ch === 'O') return 'dark';
  return 'red';
}
