import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Encoder } from '../../src/serialize/encoder.js';
import { CodecRegistry, decodeSync, encode, registerClass, registerHandle, registerModule } from '../../src/index.js';

const here = import.meta.url;

describe('codec registry: task modules, handle types, hooks', () => {
  it('registers a module namespace: functions and classes by export name, keeping what the module registered', () => {
    class Shape {
      sides = 3;
    }
    class Kept {
      value = 1;
    }
    registerClass(Kept, here, { getInitArgs: () => [] });
    function area(): number {
      return 1;
    }
    const Plain = class/* no name */{
      sides = 4;
    };
    const url = new URL('./task-module.js', here);
    registerModule(url, { area, Shape, Kept, Plain, constant: 42 });
    const decoded = decodeSync(encode({ area, shape: new Shape(), plain: new Plain(), kept: new Kept() })) as
      { area: unknown; shape: Shape; plain: InstanceType<typeof Plain>; kept: Kept };
    assert.equal(decoded.area, area);
    assert.ok(decoded.plain instanceof Plain && decoded.plain.sides === 4);
    assert.ok(decoded.shape instanceof Shape);
    assert.ok(decoded.kept instanceof Kept);
    const bytes = new TextDecoder('latin1').decode(encode(area).data);
    assert.match(bytes, /task-module\.js/, 'the function travels under the module it was registered with');
  });

  it('refuses a handle type without a name', () => {
    class Nameless {}
    assert.throws(() => registerHandle({ name: '', type: Nameless, toRef: () => 1, fromRef: () => new Nameless() }), TypeError);
  });


  it('names a handle type the receiver does not know', () => {
    class Gadget {}
    const sender = new CodecRegistry({});
    sender.registerHandle({ name: 'test.Gadget', type: Gadget, toRef: () => 1, fromRef: () => new Gadget() });
    const packet = new Encoder(sender).encode(new Gadget(), undefined);
    assert.throws(() => decodeSync(packet), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_MP_DECODE_UNKNOWN');
      assert.match(error.message, /`test\.Gadget` handle.*registerHandle/);
      return true;
    });
  });

  it('refuses a class registered with other reduce hooks on the two sides', () => {
    class Versioned {
      constructor(public v = 1) {}
    }
    registerClass(Versioned, here, { getInitArgs: (x) => [x.v] });
    const sender = new CodecRegistry({});
    sender.registerClass(Versioned, here);
    const packet = new Encoder(sender).encode(new Versioned(2), undefined);
    assert.throws(() => decodeSync(packet), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_MP_DECODE_UNKNOWN');
      assert.match(error.message, /`Versioned`.*sent plain fields.*same options on every side/);
      return true;
    });
  });

  it('wraps a failing revive in ERR_MP_DECODE_HOOK with the cause', () => {
    class Fragile {
      constructor(public ok: boolean) {}
    }
    registerClass(Fragile, here, {
      reduce: (f) => f.ok,
      revive: (ok) => {
        if (ok !== true) throw new RangeError('cannot rebuild a broken Fragile');
        return new Fragile(true);
      },
    });
    assert.ok(decodeSync(encode(new Fragile(true))) instanceof Fragile);
    assert.throws(() => decodeSync(encode(new Fragile(false))), (error: Error & { code?: string; cause?: unknown }) => {
      assert.equal(error.code, 'ERR_MP_DECODE_HOOK');
      assert.match(error.message, /revive of class `Fragile`.*cannot rebuild/);
      assert.ok(error.cause instanceof RangeError);
      return true;
    });
  });

  it('checks registrations', () => {
    class Named {}
    assert.throws(() => registerClass(Named, here, { reduce: () => 1 }), /`reduce` and `revive` together/);
    assert.throws(() => registerClass((() => class {})(), here), /export name of this anonymous class/);
    assert.throws(() => new CodecRegistry({}).trustModules(42 as never), TypeError);
  });
});
