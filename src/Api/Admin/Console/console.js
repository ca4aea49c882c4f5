// The operator console: a page over /api/admin/*. The admin key stays in this tab's sessionStorage and
// goes out only as a bearer token to this Api. Every value is written with textContent, never as HTML.
(() => {
  'use strict';

  const KEY = 'puffin-admin-key';
  const REFRESH_MS = 30_000;
  const $ = (id) => document.getElementById(id);
  const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
  let refreshTimer = null;
  let dialogAction = null;

  class Unauthorized extends Error {}

  async function call(method, path, body) {
    const headers = { Authorization: `Bearer ${sessionStorage.getItem(KEY) ?? ''}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (response.status === 401) throw new Unauthorized();
    return response;
  }

  async function problemText(response) {
    try {
      const problem = await response.json();
      const fieldErrors = problem.errors ? Object.values(problem.errors).flat().join(' ') : '';
      return fieldErrors || problem.detail || problem.title || `HTTP ${response.status}`;
    } catch {
      return `HTTP ${response.status}`;
    }
  }

  async function getJson(path) {
    const response = await call('GET', path);
    if (!response.ok) throw new Error(await problemText(response));
    return response.json();
  }

  // ---- formatting ----
  function ago(iso) {
    const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    return duration(seconds) + ' ago';
  }

  function duration(seconds) {
    if (seconds < 60) return `${Math.round(seconds)} s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
    return `${Math.floor(seconds / 86400)} d ${Math.floor((seconds % 86400) / 3600)} h`;
  }

  function cell(text, className, title) {
    const td = document.createElement('td');
    td.textContent = text ?? '';
    if (className) td.className = className;
    if (title) td.title = title;
    return td;
  }

  function statusCell(status) {
    const td = document.createElement('td');
    const badge = document.createElement('span');
    badge.className = 'status';
    badge.dataset.status = status;
    badge.textContent = status.replaceAll('_', ' ');
    td.append(badge);
    return td;
  }

  // Order ids are UUIDv7: the leading digits are a timestamp shared by orders of the same minute, so the
  // random tail is what tells them apart. The full id is in the tooltip.
  function orderCell(order) {
    return cell('…' + order.orderId.slice(-12), 'id', order.orderId);
  }

  function actionCell(label, id, onClick) {
    const td = document.createElement('td');
    td.className = 'actions';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'row-action';
    button.textContent = label;
    button.id = id;
    button.addEventListener('click', onClick);
    td.append(button);
    return td;
  }

  function fill(name, rows, makeRow) {
    const body = $(`${name}-rows`);
    body.replaceChildren(...rows.map((row) => {
      const tr = document.createElement('tr');
      tr.append(...makeRow(row));
      return tr;
    }));
    $(`${name}-table`).hidden = rows.length === 0;
    $(`${name}-empty`).hidden = rows.length !== 0;
  }

  function setFigure(id, value, nonzero) {
    $(id).textContent = value;
    $(id).parentElement.dataset.nonzero = String(Boolean(nonzero));
  }

  // ---- rendering ----
  function renderOverview(overview) {
    const failed = overview.ordersByStatus.fulfillment_failed ?? 0;
    setFigure('fig-attention', overview.needingAttention, overview.needingAttention > 0);
    setFigure('fig-failed', failed, failed > 0);
    setFigure('fig-paid', overview.ordersByStatus.paid ?? 0);
    setFigure('fig-outbox', overview.outbox.pending);
    setFigure('fig-outbox-age', overview.outbox.oldestPendingAgeSeconds == null ? '–' : duration(overview.outbox.oldestPendingAgeSeconds));
    $('status-counts').replaceChildren(...Object.entries(overview.ordersByStatus).map(([status, count]) => {
      const li = document.createElement('li');
      li.dataset.status = status;
      const b = document.createElement('b');
      b.textContent = count;
      li.append(status.replaceAll('_', ' '), b);
      return li;
    }));
    fill('paid', overview.paidWaitingLongest, (order) => [
      orderCell(order), cell(order.tons, 'num'), cell(money.format(order.amountTotal / 100), 'num'),
      cell(order.customerEmail ?? '—'), cell(ago(order.updatedAt), null, order.updatedAt),
    ]);
  }

  // Each open item on its own line; the page remembers which items it showed, and a resolve names exactly those.
  function attentionCell(order) {
    const td = document.createElement('td');
    td.className = 'attention-text';
    const list = document.createElement('ul');
    list.className = 'attention-items';
    list.append(...order.attention.map((item) => {
      const li = document.createElement('li');
      li.textContent = item.text;
      li.title = `${item.kind.replaceAll('_', ' ')}, raised ${new Date(item.raisedAt).toLocaleString()}`;
      return li;
    }));
    td.append(list);
    return td;
  }

  function renderAttention(page) {
    fill('attention', page.items, (order) => [
      orderCell(order), statusCell(order.status), attentionCell(order),
      cell(money.format(order.amountTotal / 100), 'num'), cell(ago(order.updatedAt), null, order.updatedAt),
      actionCell('Resolve', `resolve-${order.orderId}`, () => resolve(order)),
    ]);
  }

  function renderFailed(page) {
    fill('failed', page.items, (order) => [
      orderCell(order), cell(order.tons, 'num'), cell(money.format(order.amountTotal / 100), 'num'),
      cell(order.customerEmail ?? '—'), cell(ago(order.updatedAt), null, order.updatedAt),
      actionCell('Replay', `replay-${order.orderId}`, () => replay(order)),
    ]);
    $('replay-all').disabled = page.total === 0;
    $('replay-all').textContent = page.total === 0 ? 'Replay all' : `Replay all (${page.total})`;
  }

  function renderParked(rows) {
    $('parked-unavailable').hidden = rows !== null;
    if (rows === null) {
      $('parked-table').hidden = true;
      $('parked-empty').hidden = true;
      return;
    }

    fill('parked', rows, (row) => {
      const id = row.id ?? row.sequence;
      return [
        cell(row.messageId ?? String(id), 'id'), cell(row.messageType), cell(row.reason ?? row.lastError ?? '—'),
        cell(row.parkedAt ? ago(row.parkedAt) : '—', null, row.parkedAt),
        actionCell('Requeue', `requeue-${id}`, () => requeue(id)),
      ];
    });
  }

  // One row per dead-letter queue holding messages: its oldest message and the exception MassTransit recorded.
  function renderDeadLetters(queues) {
    $('dead-letters-unavailable').hidden = !(queues instanceof Error);
    if (queues instanceof Error) {
      $('dead-letters-unavailable').textContent = `Not available: ${queues.message}`;
      $('dead-letters-table').hidden = true;
      $('dead-letters-empty').hidden = true;
      return;
    }

    fill('dead-letters', queues.filter((queue) => queue.messages > 0), (queue) => {
      const oldest = queue.oldest ?? {};
      const message = cell(`${oldest.messageType ?? 'unknown type'}${oldest.orderId ? ' · order …' + oldest.orderId.slice(-12) : ''}`,
        null, oldest.orderId ?? oldest.messageId);
      const fault = document.createElement('td');
      fault.className = 'fault';
      if (oldest.exceptionType) {
        const type = document.createElement('span');
        type.className = 'fault-type';
        type.textContent = oldest.exceptionType;
        fault.append(type, oldest.exceptionMessage ?? '');
      } else {
        fault.textContent = oldest.reason ?? '—';
      }
      const actions = actionCell('Move back', `move-back-${queue.queue}`, () => handleDeadLetters(queue, 'move-back'));
      const discard = document.createElement('button');
      discard.type = 'button';
      discard.className = 'row-action';
      discard.textContent = 'Discard';
      discard.id = `discard-${queue.queue}`;
      discard.addEventListener('click', () => handleDeadLetters(queue, 'discard'));
      actions.append(discard);
      return [
        cell(queue.queue, 'id queue', `${queue.service}: messages from ${queue.sourceQueue}`), cell(queue.messages, 'num'),
        message, fault, cell(oldest.faultedAt ? ago(oldest.faultedAt) : '—', null, oldest.faultedAt), actions,
      ];
    });
  }

  // The broker may be away while the database is not: that section says so and the rest of the page still loads.
  async function loadDeadLetters() {
    const response = await call('GET', '/api/admin/dead-letters');
    if (!response.ok) return new Error(await problemText(response));
    return response.json();
  }

  async function loadParked() {
    const response = await call('GET', '/api/admin/outbox/parked');
    if (response.status === 404) return null; // an Api without outbox parking
    if (!response.ok) throw new Error(await problemText(response));
    const body = await response.json();
    return Array.isArray(body) ? body : (body.items ?? []);
  }

  async function load() {
    try {
      const [overview, attention, failed, parked, deadLetters] = await Promise.all([
        getJson('/api/admin/overview'),
        getJson('/api/admin/orders?attention=true&pageSize=100'),
        getJson('/api/admin/orders?status=fulfillment_failed&pageSize=100'),
        loadParked(),
        loadDeadLetters(),
      ]);
      renderOverview(overview);
      renderAttention(attention);
      renderFailed(failed);
      renderParked(parked);
      renderDeadLetters(deadLetters);
      $('updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;
      return true;
    } catch (error) {
      if (error instanceof Unauthorized) {
        signOut('The admin key was refused. Check ADMIN_API_KEY and try again.');
        return false;
      }
      notice(`Could not load the console: ${error.message}`, 'error');
      return true;
    }
  }

  // ---- actions ----
  function notice(text, tone = 'ok') {
    $('notice').textContent = text;
    $('notice').dataset.tone = tone;
    $('notice').hidden = false;
  }

  function openDialog({ title, text, noteLabel, noteRequired, confirm, action }) {
    $('dialog-title').textContent = title;
    $('dialog-text').textContent = text;
    $('dialog-note-label').textContent = noteLabel;
    $('dialog-note').value = '';
    $('dialog-note').required = noteRequired;
    $('dialog-error').hidden = true;
    $('dialog-confirm').textContent = confirm;
    dialogAction = action;
    $('dialog').showModal();
    $('dialog-note').focus();
  }

  async function post(path, body, done) {
    try {
      const response = await call('POST', path, body);
      if (!response.ok) return problemText(response);
      notice(done(await response.json()));
      await load();
      return null;
    } catch (error) {
      if (error instanceof Unauthorized) {
        $('dialog').close();
        signOut('The admin key was refused. Sign in again.');
        return null;
      }
      return error.message;
    }
  }

  function replay(order) {
    openDialog({
      title: 'Replay fulfilment',
      text: `Ask Fulfillment to try order ${order.orderId} again. It looks the order up at Wren before placing it, so nothing is bought twice.`,
      noteLabel: 'Note (optional)', noteRequired: false, confirm: 'Replay',
      action: (note) => post(`/api/admin/orders/${order.orderId}/replay`, { note: note || null },
        () => `Replay of order ${order.orderId} requested.`),
    });
  }

  function replayAll() {
    openDialog({
      title: 'Replay all failed fulfilments',
      text: 'Ask Fulfillment to try every fulfillment_failed order again. Each is looked up at Wren before any new purchase.',
      noteLabel: 'Note (optional)', noteRequired: false, confirm: 'Replay all',
      action: (note) => post('/api/admin/orders/replay', { status: 'fulfillment_failed', note: note || null },
        (result) => `Replay requested for ${result.requested} failed fulfilment${result.requested === 1 ? '' : 's'}.`),
    });
  }

  function resolve(order) {
    const seen = order.attention.map((item) => item.id);
    openDialog({
      title: 'Resolve attention',
      text: order.attention.map((item) => item.text).join('\n'),
      noteLabel: 'What was done (kept in the order\u2019s history; anything raised since this page loaded stays open)',
      noteRequired: true, confirm: 'Resolve',
      action: (note) => post(`/api/admin/orders/${order.orderId}/resolve`, { note, attentionIds: seen },
        () => `Attention on order ${order.orderId} resolved.`),
    });
  }

  function handleDeadLetters(queue, action) {
    const moveBack = action === 'move-back';
    const count = `${queue.messages} message${queue.messages === 1 ? '' : 's'}`;
    openDialog({
      title: moveBack ? 'Move dead letters back' : 'Discard dead letters',
      text: moveBack
        ? `Put the ${count} in ${queue.queue} back on ${queue.sourceQueue} for its consumer to take again. A message delivered twice changes nothing twice; one that fails again comes back here.`
        : `Drop the ${count} in ${queue.queue} for good. Unanswered payments and refunds are resent by the Api on their own schedule.`,
      noteLabel: 'Note (optional, kept in each order\u2019s history)', noteRequired: false, confirm: moveBack ? 'Move back' : 'Discard',
      action: (note) => post(`/api/admin/dead-letters/${encodeURIComponent(queue.queue)}/${action}`, { note: note || null },
        (result) => `${result.handled} of ${result.found} message${result.found === 1 ? '' : 's'} ${moveBack ? 'moved back to ' + queue.sourceQueue : 'discarded'}.`),
    });
  }

  async function requeue(id) {
    const error = await post(`/api/admin/outbox/parked/${id}/requeue`, undefined, () => `Message ${id} requeued.`);
    if (error) notice(`Could not requeue message ${id}: ${error}`, 'error');
  }

  // ---- session ----
  function showConsole(signedIn) {
    $('sign-in').hidden = signedIn;
    $('console').hidden = !signedIn;
    $('session-actions').hidden = !signedIn;
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    clearInterval(refreshTimer);
    showConsole(false);
    $('key-error').textContent = message ?? '';
    $('key-error').hidden = !message;
    $('key').value = '';
    $('key').focus();
  }

  async function signIn(key) {
    sessionStorage.setItem(KEY, key);
    $('notice').hidden = true;
    if (await load()) {
      showConsole(true);
      clearInterval(refreshTimer);
      refreshTimer = setInterval(load, REFRESH_MS);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('key-form').addEventListener('submit', (event) => {
      event.preventDefault();
      signIn($('key').value.trim());
    });
    $('sign-out').addEventListener('click', () => signOut());
    $('refresh').addEventListener('click', () => load());
    $('replay-all').addEventListener('click', replayAll);
    $('dialog-cancel').addEventListener('click', () => $('dialog').close());
    $('dialog-note').addEventListener('input', () => { $('dialog-error').hidden = true; });
    $('dialog-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const note = $('dialog-note').value.trim();
      if ($('dialog-note').required && !note) {
        $('dialog-error').textContent = 'A note is required.';
        $('dialog-error').hidden = false;
        return;
      }
      $('dialog-confirm').disabled = true;
      const error = await dialogAction(note);
      $('dialog-confirm').disabled = false;
      if (error) {
        $('dialog-error').textContent = error;
        $('dialog-error').hidden = false;
      } else {
        $('dialog').close();
      }
    });

    const key = sessionStorage.getItem(KEY);
    if (key) signIn(key); else signOut();
  });
})();
