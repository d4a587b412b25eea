// Figure 2c of `npm run bench` (one step on 1, 2 and 5 routes): its rows, and the check the quick
// bench test makes that an output prints them (test/integration/bench.test.ts).
import { missingRouteStepFigures, routeStepFigures, routeStepRows } from '../../scripts/bench-figures.ts';

const medians = {
  invoke: { 1: 12, 2: 14, 5: 17.5 },
  inProcess: { 1: 8, 2: 16, 5: 40 },
  invokeLatency: { 1: 120, 2: 125, 5: 150 },
};

describe('routeStepRows', () => {
  test('a median per route count, then 5 routes over 1 route against <= 1.5x', () => {
    expect(routeStepRows(medians)).toEqual([
      ['approach', '1 route', '2 routes', '5 routes', '5 routes / 1 route', 'target'],
      [routeStepFigures.invoke, '12 ms', '14 ms', '18 ms', '1.46x', '<= 1.5x: meets target'],
      [routeStepFigures.inProcess, '8.00 ms', '16 ms', '40 ms', '5.00x', '<= 1.5x: MISSES target'],
      [routeStepFigures.invokeLatency, '120 ms', '125 ms', '150 ms', '1.25x', '<= 1.5x: meets target'],
    ]);
  });

  test('exactly 1.5x meets the target', () => {
    expect(routeStepRows({ ...medians, invoke: { 1: 10, 2: 12, 5: 15 } })[1][5]).toBe('<= 1.5x: meets target');
  });
});

describe('missingRouteStepFigures', () => {
  const print = (rows: string[][]) => rows.map((r) => `  ${r.join('  ')}`).join('\n');

  test('none when every row is printed, whether it meets its target or not', () => {
    expect(missingRouteStepFigures(`2c. One step\n${print(routeStepRows(medians))}\n3. next`)).toEqual([]);
  });

  test('names a row that is absent, lacks a median, or lacks its ratio and verdict', () => {
    const rows = routeStepRows(medians);
    expect(missingRouteStepFigures(print([rows[0], rows[2], rows[3]]))).toEqual([routeStepFigures.invoke]);
    expect(missingRouteStepFigures(print([rows[0], rows[1], rows[2], [rows[3][0], '120 ms', '150 ms', '1.25x', '<= 1.5x: meets target']])))
      .toEqual([routeStepFigures.invokeLatency]);
    expect(missingRouteStepFigures(print([rows[0], rows[1].slice(0, 4), rows[2], rows[3]]))).toEqual([routeStepFigures.invoke]);
    expect(missingRouteStepFigures('')).toEqual(Object.values(routeStepFigures));
  });
});
