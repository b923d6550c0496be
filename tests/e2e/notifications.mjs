// A notification server for tests, on the session bus as the freedesktop spec has it: it
// records what is shown (summary, body, actions) and answers like a person clicking an action
// (an ActionInvoked signal from the server itself). Debian's dunst is the server elsewhere in
// the e2e tests; clicking one of its actions needs a person, so the tests that answer an
// approval start this one first, before anything is shown.
import dbus from 'dbus-next';
import { execFileSync } from 'node:child_process';

const NAME = 'org.freedesktop.Notifications';
const PATH = '/org/freedesktop/Notifications';
const { Message } = dbus;

export async function startNotificationServer() {
  const bus = dbus.sessionBus();
  const shown = []; // { id, summary, body, actions: [key, label, ...], closed }
  let next = 1;
  bus.addMethodHandler((msg) => {
    if (msg.interface !== NAME) return false;
    const reply = (signature, body) => bus.send(Message.newMethodReturn(msg, signature, body));
    switch (msg.member) {
      case 'Notify': {
        const [, , , summary, body, actions] = msg.body;
        const id = next++;
        shown.push({ id, summary, body, actions, closed: false });
        reply('u', [id]);
        return true;
      }
      case 'CloseNotification': {
        const [id] = msg.body;
        const n = shown.find((s) => s.id === id);
        if (n) n.closed = true;
        reply('', []);
        bus.send(Message.newSignal(PATH, NAME, 'NotificationClosed', 'uu', [id, 3]));
        return true;
      }
      case 'GetCapabilities':
        reply('as', [['actions', 'body', 'body-markup']]);
        return true;
      case 'GetServerInformation':
        reply('ssss', ['tokentray-test', 'tokentray', '1', '1.2']);
        return true;
      default:
        return false;
    }
  });
  // DO_NOT_QUEUE: this server, or the test cannot go on as it means to. The tests before
  // share the session bus, where the first notification D-Bus-activated dunst, which keeps the
  // name until it exits: it is stopped first (the tests after activate it again).
  try {
    execFileSync('pkill', ['-x', 'dunst'], { timeout: 10_000 });
  } catch {}
  let got = 0;
  for (let i = 0; i < 50 && got !== 1; i += 1) {
    got = await bus.requestName(NAME, 4);
    if (got !== 1) await new Promise((r) => setTimeout(r, 100));
  }
  if (got !== 1) {
    // An open connection would keep this test file's process alive after the failure.
    bus.disconnect();
    throw new Error(`${NAME} is taken already (reply ${got})`);
  }
  return {
    shown,
    /** The person clicks action `key` of notification `id`. */
    invoke(id, key) {
      bus.send(Message.newSignal(PATH, NAME, 'ActionInvoked', 'us', [id, key]));
    },
    stop: () => bus.disconnect(),
  };
}

/** Another program on the bus pretending to be the notification server. */
export function forgeAction(id, key) {
  const bus = dbus.sessionBus();
  bus.send(Message.newSignal(PATH, NAME, 'ActionInvoked', 'us', [id, key]));
  return new Promise((r) => setTimeout(() => r(bus.disconnect()), 300));
}
