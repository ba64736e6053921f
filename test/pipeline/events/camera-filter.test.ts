import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CameraFilter } from '../../../pipeline/events/camera-filter.ts';

const CAMERAS = ['cam1', 'cam2', 'cam3'];
const accepted = (filter: CameraFilter) => CAMERAS.filter((id) => filter.accepts(id));

test('no query string means every camera, including unknown ones', () => {
  for (const query of [null, '', ' , ', '*']) {
    const filter = CameraFilter.fromQuery(query);
    assert.equal(accepted(filter), CAMERAS, String(query));
    assert.ok(filter.accepts('camera-started-later'));
    assert.equal(filter.describe(), { cameras: '*', excluded: [] });
  }
});

test('a query string selects exactly the listed cameras (spaces trimmed)', () => {
  const filter = CameraFilter.fromQuery('cam3, cam1');
  assert.equal(accepted(filter), ['cam1', 'cam3']);
  assert.equal(filter.describe(), { cameras: ['cam1', 'cam3'], excluded: [] });
});

test('the first subscribe of an all-cameras client narrows it, later ones add', () => {
  const filter = CameraFilter.fromQuery(null);
  filter.subscribe(['cam2']);
  assert.equal(accepted(filter), ['cam2']);
  filter.subscribe(['cam3']);
  assert.equal(accepted(filter), ['cam2', 'cam3']);
});

test('subscribe adds to a query-string selection', () => {
  const filter = CameraFilter.fromQuery('cam1');
  filter.subscribe(['cam2']);
  assert.equal(accepted(filter), ['cam1', 'cam2']);
});

test('unsubscribe removes from a selection and excludes from all-cameras', () => {
  const only = CameraFilter.fromQuery('cam1,cam2');
  only.unsubscribe(['cam1']);
  assert.equal(accepted(only), ['cam2']);
  const all = CameraFilter.fromQuery(null);
  all.unsubscribe(['cam2']);
  assert.equal(accepted(all), ['cam1', 'cam3']);
  assert.equal(all.describe(), { cameras: '*', excluded: ['cam2'] });
  all.subscribe(['cam2']);
  assert.equal(accepted(all), CAMERAS, 'after an unsubscribe, subscribe re-includes instead of narrowing');
});

test('"*" subscribes to everything again or unsubscribes from everything', () => {
  const filter = CameraFilter.fromQuery('cam1');
  filter.subscribe(['*']);
  assert.equal(accepted(filter), CAMERAS);
  filter.unsubscribe(['*']);
  assert.equal(accepted(filter), []);
  assert.equal(filter.describe(), { cameras: [], excluded: [] });
});

test.run();
