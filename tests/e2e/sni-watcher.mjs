// A StatusNotifierItem watcher for tests: desktops provide one (KDE, GNOME's AppIndicator
// extension, waybar); Debian's test machine has none, so the tray's D-Bus side is checked
// through this one. It records the items that register and reads their menus (dbusmenu), as a
// panel would, and can click a menu entry or the icon.
import dbus from 'dbus-next';

const WATCHER = 'org.kde.StatusNotifierWatcher';
const { Message, Variant } = dbus;

export async function startWatcher() {
  const bus = dbus.sessionBus();
  const items = []; // { service, path }
  bus.addMethodHandler((msg) => {
    if (msg.interface === WATCHER && msg.member === 'RegisterStatusNotifierItem') {
      const [arg] = msg.body;
      // Items register with their object path (sent from their own bus name) or a bus name.
      const item = arg.startsWith('/') ? { service: msg.sender, path: arg } : { service: arg, path: '/StatusNotifierItem' };
      items.push(item);
      bus.send(Message.newMethodReturn(msg, '', []));
      return true;
    }
    if (msg.interface === WATCHER && msg.member === 'RegisterStatusNotifierHost') {
      bus.send(Message.newMethodReturn(msg, '', []));
      return true;
    }
    if (msg.interface === 'org.freedesktop.DBus.Properties' && msg.path === '/StatusNotifierWatcher' && msg.member === 'Get') {
      const [, name] = msg.body;
      const value = {
        RegisteredStatusNotifierItems: new Variant('as', items.map((i) => `${i.service}${i.path}`)),
        IsStatusNotifierHostRegistered: new Variant('b', true),
        ProtocolVersion: new Variant('i', 0),
      }[name];
      bus.send(Message.newMethodReturn(msg, 'v', [value ?? new Variant('s', '')]));
      return true;
    }
    return false;
  });
  await bus.requestName(WATCHER, 0);

  const call = async (item, path, iface, member, signature = '', body = []) => {
    const reply = await bus.call(
      new Message({ destination: item.service, path, interface: iface, member, signature, body }),
    );
    return reply.body;
  };
  const prop = async (item, name) =>
    (await call(item, item.path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', ['org.kde.StatusNotifierItem', name]))[0].value;

  return {
    items,
    async waitForItem(ms = 15_000) {
      const deadline = Date.now() + ms;
      while (!items.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (!items.length) throw new Error('no StatusNotifierItem registered');
      return items[items.length - 1];
    },
    prop,
    /** The menu as a tree of { id, label, children }. */
    async menu(item) {
      const path = await prop(item, 'Menu');
      const [, layout] = await call(item, path, 'com.canonical.dbusmenu', 'GetLayout', 'iias', [0, -1, []]);
      const walk = ([id, props, children]) => ({
        id,
        label: props.label?.value ?? '',
        type: props.type?.value ?? 'standard',
        children: children.map((c) => walk(c.value)),
      });
      return { path, root: walk(layout) };
    },
    async click(item, menuPath, id) {
      await call(item, menuPath, 'com.canonical.dbusmenu', 'Event', 'isvu', [id, 'clicked', new Variant('s', ''), 0]);
    },
    /** Left-click on the icon. */
    async activate(item) {
      await call(item, item.path, 'org.kde.StatusNotifierItem', 'Activate', 'ii', [0, 0]);
    },
    stop: () => bus.disconnect(),
  };
}
