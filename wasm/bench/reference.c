/*
 * C reference of the WASM core's heavy kernels, for `npm run bench:wasm` only (not shipped).
 * Same algorithms, same data layout and same order of floating-point operations as
 * wasm/assembly/{filters,waste,lighting,traffic}.ts and their TypeScript twins; compiled with
 * `gcc -O3` (no -march: baseline x86-64 SSE2 or AArch64 NEON, 128-bit vectors like WASM SIMD)
 * at bench time into a temp dir.
 *
 *   reference KERNEL N STEPS DATA_FILE
 *
 * KERNEL: pipeline | waste | detector | lighting. DATA_FILE holds STEPS frames of the kernel's
 * per-step inputs (f64, native endianness, written by wasm/bench/bench.ts). Runs one warm-up pass
 * and one timed pass, each from fresh state, and prints "<ns per sample> <checksum>".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LO(a, b) ((b) < (a) ? (b) : (a))
#define HI(a, b) ((a) < (b) ? (b) : (a))
#define SORT2(a, b) do { double t_ = LO(a, b); b = HI(a, b); a = t_; } while (0)

static inline double med3(double p0, double p1, double p2) {
  SORT2(p0, p1);
  SORT2(p1, p2);
  SORT2(p0, p1);
  return p1;
}

static inline double med5(double p0, double p1, double p2, double p3, double p4) {
  SORT2(p0, p1);
  SORT2(p3, p4);
  SORT2(p0, p3);
  SORT2(p1, p4);
  SORT2(p1, p2);
  SORT2(p2, p3);
  SORT2(p1, p2);
  return p2;
}

static inline double med7(double p0, double p1, double p2, double p3, double p4, double p5, double p6) {
  SORT2(p0, p5);
  SORT2(p0, p3);
  SORT2(p1, p6);
  SORT2(p2, p4);
  SORT2(p0, p1);
  SORT2(p3, p5);
  SORT2(p2, p6);
  SORT2(p2, p3);
  SORT2(p3, p6);
  SORT2(p4, p5);
  SORT2(p1, p4);
  SORT2(p1, p3);
  SORT2(p3, p4);
  return p3;
}

static inline double med9(double p0, double p1, double p2, double p3, double p4, double p5, double p6, double p7, double p8) {
  SORT2(p1, p2);
  SORT2(p4, p5);
  SORT2(p7, p8);
  SORT2(p0, p1);
  SORT2(p3, p4);
  SORT2(p6, p7);
  SORT2(p1, p2);
  SORT2(p4, p5);
  SORT2(p7, p8);
  SORT2(p0, p3);
  SORT2(p5, p8);
  SORT2(p4, p7);
  SORT2(p3, p6);
  SORT2(p1, p4);
  SORT2(p2, p5);
  SORT2(p4, p7);
  SORT2(p4, p2);
  SORT2(p6, p4);
  SORT2(p4, p2);
  return p4;
}

static double window_median(const double *p, size_t s, int size) {
  if (size == 5) return med5(p[0], p[s], p[2 * s], p[3 * s], p[4 * s]);
  if (size == 3) return med3(p[0], p[s], p[2 * s]);
  if (size == 7) return med7(p[0], p[s], p[2 * s], p[3 * s], p[4 * s], p[5 * s], p[6 * s]);
  if (size == 9) return med9(p[0], p[s], p[2 * s], p[3 * s], p[4 * s], p[5 * s], p[6 * s], p[7 * s], p[8 * s]);
  return p[0];
}

#define D(x) fabs((x) - m)
static double window_mad(const double *p, size_t s, int size, double m) {
  if (size == 5) return med5(D(p[0]), D(p[s]), D(p[2 * s]), D(p[3 * s]), D(p[4 * s]));
  if (size == 3) return med3(D(p[0]), D(p[s]), D(p[2 * s]));
  if (size == 7) return med7(D(p[0]), D(p[s]), D(p[2 * s]), D(p[3 * s]), D(p[4 * s]), D(p[5 * s]), D(p[6 * s]));
  if (size == 9)
    return med9(D(p[0]), D(p[s]), D(p[2 * s]), D(p[3 * s]), D(p[4 * s]), D(p[5 * s]), D(p[6 * s]), D(p[7 * s]),
                D(p[8 * s]));
  return D(p[0]);
}

/* ---- filters: Hampel → EMA → trend (wasm/assembly/filters-*.ts) ---- */
#define HAMPEL_SIZE 5
#define HAMPEL_K 3.0
#define HAMPEL_FLOOR 0.5
#define EMA_ALPHA 0.2
#define TREND_LAMBDA 0.98

static int hampel(const double *in, double *win, double *last, double *out, int n, int size, int head, double k,
                  double floor_) {
  const double kMad = k * 1.4826;
  int replaced = 0;
  for (int c = 0; c < n; c++) {
    double prev = last[c], x = in[c];
    if (x != x) x = prev;
    else if (prev != prev)
      for (int j = 0; j < size; j++) win[(size_t)j * n + c] = x;
    win[(size_t)head * n + c] = x;
    last[c] = x;
    double m = window_median(win + c, n, size);
    double scaled = kMad * window_mad(win + c, n, size, m);
    double thr = scaled < floor_ ? floor_ : scaled;
    if (fabs(x - m) > thr) { replaced++; out[c] = m; }
    else out[c] = x;
  }
  return replaced;
}

static void ema(const double *in, double *state, double *out, int n, double alpha) {
  for (int c = 0; c < n; c++) {
    double y = state[c], x = in[c], next;
    if (x != x) next = y;
    else if (y != y) next = x;
    else next = y + alpha * (x - y);
    state[c] = next;
    out[c] = next;
  }
}

static void trend(const double *in, double *st, double *slope, double *level, int n, double lambda) {
  for (int c = 0; c < n; c++) {
    double w = st[c], wt = st[n + c], wtt = st[2 * n + c], wx = st[3 * n + c], wtx = st[4 * n + c];
    double raw = in[c];
    int ok = raw == raw;
    double nw = lambda * w + (ok ? 1.0 : 0.0);
    double nwt = lambda * (wt - w);
    double nwtt = lambda * (wtt - 2.0 * wt + w);
    double nwx = lambda * wx + (ok ? raw : 0.0);
    double nwtx = lambda * (wtx - wx);
    st[c] = nw; st[n + c] = nwt; st[2 * n + c] = nwtt; st[3 * n + c] = nwx; st[4 * n + c] = nwtx;
    double den = nw * nwtt - nwt * nwt;
    if (den > 1e-9 * (nw * nw)) {
      double s = (nw * nwtx - nwt * nwx) / den;
      slope[c] = s;
      level[c] = (nwx - s * nwt) / nw;
    } else {
      slope[c] = NAN;
      level[c] = NAN;
    }
  }
}

static double run_pipeline(const double *data, int n, int steps) {
  double *in = malloc(sizeof(double) * n), *win = malloc(sizeof(double) * n * HAMPEL_SIZE);
  double *last = malloc(sizeof(double) * n), *clean = malloc(sizeof(double) * n), *es = malloc(sizeof(double) * n);
  double *smooth = malloc(sizeof(double) * n), *ts = calloc((size_t)n * 5, sizeof(double));
  double *slope = malloc(sizeof(double) * n), *level = malloc(sizeof(double) * n);
  for (int i = 0; i < n * HAMPEL_SIZE; i++) win[i] = NAN;
  for (int i = 0; i < n; i++) last[i] = es[i] = NAN;
  int head = 0;
  double sum = 0;
  for (int s = 0; s < steps; s++) {
    memcpy(in, data + (size_t)s * n, sizeof(double) * n);
    sum += hampel(in, win, last, clean, n, HAMPEL_SIZE, head, HAMPEL_K, HAMPEL_FLOOR);
    ema(clean, es, smooth, n, EMA_ALPHA);
    trend(smooth, ts, slope, level, n, TREND_LAMBDA);
    head = head + 1 == HAMPEL_SIZE ? 0 : head + 1;
  }
  for (int c = 0; c < n; c++) {
    if (smooth[c] == smooth[c]) sum += smooth[c];
    if (slope[c] == slope[c]) sum += slope[c];
  }
  free(in); free(win); free(last); free(clean); free(es); free(smooth); free(ts); free(slope); free(level);
  return sum;
}

/* ---- waste (wasm/assembly/waste.ts); fields as WASTE in wasm/waste.ts ---- */
enum { W_DIST, W_TEMP, W_DEPTH, W_FULL_AT, W_FILL, W_RATE, W_TTF, W_TTF_LOW, W_TTF_HIGH, W_FLAG, W_PENDING,
       W_CYCLE_START, W_CYCLE_HOURS, W_PRIOR_RATE, W_PRIOR_VAR, W_CYCLES, WASTE_FIELDS };
#define F(f) s[(size_t)(f) * n + c]

static void waste_step(double *s, int n, double dtHours, double noEchoCm, double spikeCm, double emptyDrop,
                       double priorHours, double refTempC, double z, double cycleWeight) {
  const double cRef = 331.3 + 0.606 * refTempC;
  for (int c = 0; c < n; c++) {
    double depth = F(W_DEPTH), level = F(W_FILL), cycleHours = F(W_CYCLE_HOURS);
    if (level == level) cycleHours += dtHours;
    double d = F(W_DIST), temp = F(W_TEMP), flag = 1;
    if (d >= 0 && d < noEchoCm) {
      double dc = temp == temp ? (d * (331.3 + 0.606 * temp)) / cRef : d;
      double f = (depth - dc) / depth;
      f = f < 0 ? 0 : f > 1 ? 1 : f;
      int accept = 1;
      if (level != level) { F(W_CYCLE_START) = f; cycleHours = 0; }
      else if (fabs(f - level) * depth > spikeCm || (fabs(f - level) >= emptyDrop && spikeCm != INFINITY)) {
        double pending = F(W_PENDING);
        if (!(fabs(f - pending) * depth <= spikeCm)) { accept = 0; F(W_PENDING) = f; flag = 2; }
      }
      if (accept) {
        flag = 0;
        F(W_PENDING) = NAN;
        if (level == level && level - f >= emptyDrop) {
          if (cycleHours > 0) {
            double r = (level - F(W_CYCLE_START)) / cycleHours, cycles = F(W_CYCLES);
            if (cycles == 0) { F(W_PRIOR_RATE) = r; F(W_PRIOR_VAR) = 0; }
            else {
              double prior = F(W_PRIOR_RATE), diff = r - prior;
              F(W_PRIOR_RATE) = prior + cycleWeight * diff;
              F(W_PRIOR_VAR) = (1 - cycleWeight) * (F(W_PRIOR_VAR) + cycleWeight * diff * diff);
            }
            F(W_CYCLES) = cycles + 1;
          }
          F(W_CYCLE_START) = f;
          cycleHours = 0;
          flag = 3;
        }
        level = f;
      }
    }
    F(W_FILL) = level; F(W_CYCLE_HOURS) = cycleHours; F(W_FLAG) = flag;
    double rise = level - F(W_CYCLE_START), prior = F(W_PRIOR_RATE), cycles = F(W_CYCLES), rate;
    if (cycles > 0) rate = (rise + prior * priorHours) / (cycleHours + priorHours);
    else rate = cycleHours > 0 ? rise / cycleHours : NAN;
    if (rate < 0) rate = 0;
    F(W_RATE) = rate;
    double remaining = F(W_FULL_AT) - level;
    double sigma = cycles >= 2 ? sqrt(F(W_PRIOR_VAR)) : 0.5 * rate;
    double fast = rate + z * sigma, slow = rate - z * sigma;
    if (remaining <= 0) { F(W_TTF) = 0; F(W_TTF_LOW) = 0; F(W_TTF_HIGH) = 0; }
    else {
      F(W_TTF) = rate > 0 ? remaining / rate : rate == 0 ? INFINITY : NAN;
      F(W_TTF_LOW) = fast > 0 ? remaining / fast : rate == rate ? INFINITY : NAN;
      F(W_TTF_HIGH) = slow > 0 ? remaining / slow : rate == rate ? INFINITY : NAN;
    }
  }
}

static double run_waste(const double *data, int n, int steps) {
  double *s = malloc(sizeof(double) * n * WASTE_FIELDS);
  for (int i = 0; i < n * WASTE_FIELDS; i++) s[i] = NAN;
  for (int c = 0; c < n; c++) {
    F(W_DEPTH) = 100 + (c % 5) * 20; F(W_FULL_AT) = 0.8;
    F(W_CYCLE_HOURS) = 0; F(W_PRIOR_VAR) = 0; F(W_CYCLES) = 0;
  }
  for (int st = 0; st < steps; st++) {
    memcpy(s, data + (size_t)st * 2 * n, sizeof(double) * 2 * n); /* distance, temperature */
    waste_step(s, n, 1, 250, 15, 0.1, 48, 20, 1.645, 0.3); /* DEFAULT_WASTE_PARAMS */
  }
  double sum = 0;
  for (int c = 0; c < n; c++) sum += F(W_FILL) + F(W_RATE);
  free(s);
  return sum;
}

/* ---- traffic: detector processing (wasm/assembly/traffic.ts) ---- */
enum { D_OCC, D_GREEN, D_SAT, D_FLOW, D_OCCUPANCY, D_GAP, D_HEADWAY, D_SATURATION, D_QUEUE, D_COUNT, D_PREV,
       D_SINCE, D_GF, DETECTOR_FIELDS };

static void detector_step(double *s, int n, double dtS, double tauS) {
  const double a = dtS / tauS;
  for (int c = 0; c < n; c++) {
    double occ = F(D_OCC) >= 0.5 ? 1 : 0;
    double onset = occ == 1 && !(F(D_PREV) >= 0.5) ? 1 : 0;
    F(D_PREV) = occ;
    double green = F(D_GREEN) >= 0.5 ? 1 : 0, sat = F(D_SAT);
    double flow = F(D_FLOW), newFlow = flow + a * ((onset * 3600) / dtS - flow);
    F(D_FLOW) = newFlow;
    double o = F(D_OCCUPANCY);
    F(D_OCCUPANCY) = o + a * (occ - o);
    double gf = F(D_GF), newGf = gf + a * (green - gf);
    F(D_GF) = newGf;
    F(D_SATURATION) = newGf > 0.01 ? newFlow / (sat * newGf) : NAN;
    F(D_GAP) = occ == 1 ? 0 : F(D_GAP) + dtS;
    double since = F(D_SINCE) + dtS;
    if (onset == 1) { F(D_HEADWAY) = since; F(D_SINCE) = 0; F(D_COUNT) = F(D_COUNT) + 1; }
    else F(D_SINCE) = since;
    double q = F(D_QUEUE) + onset - (green * sat * dtS) / 3600;
    if (q < 0) q = 0;
    F(D_QUEUE) = q;
  }
}

static double run_detector(const double *data, int n, int steps) {
  double *s = calloc((size_t)n * DETECTOR_FIELDS, sizeof(double));
  for (int c = 0; c < n; c++) { F(D_SAT) = 1800; F(D_HEADWAY) = NAN; F(D_SATURATION) = NAN; }
  for (int st = 0; st < steps; st++) {
    memcpy(s, data + (size_t)st * 2 * n, sizeof(double) * 2 * n); /* occupied, green */
    detector_step(s, n, 0.1, 60);
  }
  double sum = 0;
  for (int c = 0; c < n; c++) sum += F(D_FLOW) + F(D_QUEUE) + F(D_COUNT);
  free(s);
  return sum;
}

/* ---- lighting (wasm/assembly/lighting.ts) ---- */
enum { L_WEIGHTS, L_DESIGN, L_SERIES, L_SCHEDULE, L_PRESENCE, L_LUX, L_RATED, L_BOOST, L_HOLD, L_CLASS, L_TARGET,
       L_LEVEL, L_DALI, L_POWER, L_ENERGY, L_HOLD_LEFT, L_DARK, LIGHTING_FIELDS };
static const double M_TABLE[] = {2.0, 1.5, 1.0, 0.75, 0.5, 0.3};
static const double P_TABLE[] = {15, 10, 7.5, 5, 3, 2};
#define DALI_STEP (253.0 / 3.0)

static double dali_level(double pct) {
  if (!(pct > 0)) return 0;
  /* JavaScript's Math.round: halves toward +∞. */
  double n = floor(1 + DALI_STEP * (log10(pct) + 1) + 0.5);
  return n < 1 ? 1 : n > 254 ? 254 : n;
}
static double dali_percent(double n) { return n < 1 ? 0 : pow(10, (n - 1) / DALI_STEP - 1); }

static void lighting_step(double *s, int n, double dtS, double onLux, double offLux, double rampUpS,
                          double rampDownS) {
  double maxUp = rampUpS > 0 ? (100 * dtS) / rampUpS : INFINITY;
  double maxDown = rampDownS > 0 ? (100 * dtS) / rampDownS : INFINITY;
  double mid = (onLux + offLux) * 0.5;
  for (int c = 0; c < n; c++) {
    double rawDesign = F(L_DESIGN);
    double design = rawDesign >= 1 ? (rawDesign <= 6 ? floor(rawDesign) : 6) : 1;
    double weights = F(L_WEIGHTS);
    double cls = weights == weights ? floor(6 - weights) : design;
    cls = cls < design ? design : cls > 6 ? 6 : cls;
    F(L_CLASS) = cls;
    const double *table = F(L_SERIES) == 1 ? P_TABLE : M_TABLE;
    double ratio = table[(int)cls - 1] / table[(int)design - 1];
    double sched = F(L_SCHEDULE);
    if (sched != sched) sched = 100;
    double hold = F(L_HOLD_LEFT) - dtS;
    if (F(L_PRESENCE) >= 0.5) hold = F(L_HOLD);
    if (hold < 0) hold = 0;
    F(L_HOLD_LEFT) = hold;
    double dark = F(L_DARK), lux = F(L_LUX);
    if (lux == lux) {
      if (lux <= onLux) dark = 1;
      else if (lux >= offLux) dark = 0;
      else if (dark != dark) dark = lux <= mid ? 1 : 0;
    }
    F(L_DARK) = dark;
    double target = 0;
    if (!(dark == 0)) {
      target = sched * ratio;
      double boost = F(L_BOOST);
      if (hold > 0 && boost > target) target = boost;
      if (target > 100) target = 100;
    }
    F(L_TARGET) = target;
    double level = F(L_LEVEL);
    if (level != level) level = target;
    else {
      double d = target - level;
      level = d > maxUp ? level + maxUp : d < -maxDown ? level - maxDown : target;
    }
    F(L_LEVEL) = level;
    double arc = dali_level(level);
    F(L_DALI) = arc;
    double power = (F(L_RATED) * dali_percent(arc)) / 100;
    F(L_POWER) = power;
    F(L_ENERGY) = F(L_ENERGY) + (power * dtS) / 3600;
  }
}

static double run_lighting(const double *data, int n, int steps) {
  double *s = malloc(sizeof(double) * n * LIGHTING_FIELDS);
  for (int i = 0; i < n * LIGHTING_FIELDS; i++) s[i] = NAN;
  for (int c = 0; c < n; c++) {
    F(L_DESIGN) = 3 + (c % 2); F(L_SERIES) = c % 2; F(L_RATED) = 100; F(L_BOOST) = 100; F(L_HOLD) = 60;
    F(L_HOLD_LEFT) = 0; F(L_ENERGY) = 0;
  }
  for (int st = 0; st < steps; st++) {
    /* weightSum, designClass, series, schedulePct, presence, lux: fields 0..5, but the frame holds
       weightSum, then schedulePct, presence, lux (designClass and series are set-up). */
    const double *frame = data + (size_t)st * 4 * n;
    memcpy(s + (size_t)L_WEIGHTS * n, frame, sizeof(double) * n);
    memcpy(s + (size_t)L_SCHEDULE * n, frame + n, sizeof(double) * 3 * n);
    lighting_step(s, n, 1, 30, 60, 2, 10);
  }
  double sum = 0;
  for (int c = 0; c < n; c++) sum += F(L_ENERGY) + F(L_DALI);
  free(s);
  return sum;
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: reference pipeline|waste|detector|lighting N STEPS DATA_FILE\n");
    return 2;
  }
  const char *kernel = argv[1];
  int n = atoi(argv[2]), steps = atoi(argv[3]);
  int width = strcmp(kernel, "pipeline") == 0 ? 1 : strcmp(kernel, "lighting") == 0 ? 4 : 2;
  size_t count = (size_t)n * steps * width;
  double *data = malloc(sizeof(double) * count);
  FILE *f = fopen(argv[4], "rb");
  if (!f || fread(data, sizeof(double), count, f) != count) {
    fprintf(stderr, "reference: cannot read %zu doubles from %s\n", count, argv[4]);
    return 1;
  }
  fclose(f);
  double (*run)(const double *, int, int) = strcmp(kernel, "pipeline") == 0 ? run_pipeline
                                            : strcmp(kernel, "waste") == 0  ? run_waste
                                            : strcmp(kernel, "detector") == 0 ? run_detector
                                                                               : run_lighting;
  volatile double sink = run(data, n, steps); /* warm-up: page faults, caches, branch predictors */
  double t0 = now_ns();
  double checksum = run(data, n, steps);
  double t1 = now_ns();
  (void)sink;
  printf("%.4f %.10g\n", (t1 - t0) / ((double)n * steps), checksum);
  return 0;
}
