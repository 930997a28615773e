// The example site with its lighting groups at their design class all night: no constant light
// output, no traffic-adaptive class, no presence dimming. For tests of the site's mechanics
// (overrides, devices, telemetry) written against "100 % from sunset to sunrise"; the lighting
// rules themselves are tested in edge/control/ and by the replay.
import type { EdgeConfig } from '../config/edge-config.js';

export function withDesignLighting(cfg: EdgeConfig): EdgeConfig {
  return {
    ...cfg,
    lightingGroups: cfg.lightingGroups.map((g) => {
      const plain = { ...g };
      delete plain.adaptive;
      delete plain.maintenance;
      delete plain.presence;
      return plain;
    }),
  };
}
