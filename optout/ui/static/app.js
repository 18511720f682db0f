// optout ui: the page's own script (no inline script anywhere; the CSP allows only this file).
// Everything that came from a platform's page is set with textContent, never as markup.
'use strict';

const csrf = document.querySelector('meta[name="csrf-token"]').content;

async function post(url, data) {
  const response = await fetch(url, {
    method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
    body: JSON.stringify(data || {}),
  });
  let answer = {};
  try { answer = await response.json(); } catch (e) { answer = {ok: false, error: await response.text()}; }
  return answer;
}

function notice(text, hint) {
  const box = document.getElementById('notice');
  box.textContent = hint ? `${text} ${hint}` : text;
}

async function startRun(mode, platforms, extra) {
  const answer = await post('/runs', Object.assign({mode, platforms}, extra || {}));
  if (answer.ok) window.location.assign(answer.url);
  else notice(answer.error || 'That did not work.', answer.hint);
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

// Close: stops the local server.
document.getElementById('close').addEventListener('click', async () => {
  const answer = await post('/close');
  document.getElementById('main').replaceChildren(el('h1', 'optout has stopped'),
    el('p', answer.message || 'You can close this tab.'));
  document.getElementById('main').focus();
});

// The next step, as one button.
document.querySelectorAll('button[data-run]').forEach(button => button.addEventListener('click', () => {
  const action = button.dataset.run;
  startRun(action === 'off' ? 'off' : 'check', [button.dataset.platform]);
}));

// The checklist (check, switch off, volunteer mode).
const act = document.getElementById('act');
if (act) {
  let mode = 'check';
  act.querySelectorAll('button[data-mode]').forEach(b => b.addEventListener('click', () => { mode = b.dataset.mode; }));
  act.addEventListener('submit', event => {
    event.preventDefault();
    const platforms = [...act.querySelectorAll('input[name=platform]:checked')].map(i => i.value);
    const extra = {reason: (act.querySelector('#reason') || {}).value || ''};
    if (act.dataset.modeFixed === 'assist') {
      extra.person = act.querySelector('#person').value;
      extra.keep = act.querySelector('#keep').checked;
    }
    const chosen = event.submitter && event.submitter.dataset.mode || mode;
    startRun(chosen, platforms, extra);
  });
}

// Accounts: the password goes in the POST body only, and the field is emptied at once.
const add = document.getElementById('add-account');
if (add) {
  add.addEventListener('submit', async event => {
    event.preventDefault();
    const password = add.querySelector('#password');
    const data = {platform: add.querySelector('#platform').value,
                  username: add.querySelector('#username').value, password: password.value};
    password.value = '';
    const answer = await post('/accounts', data);
    if (answer.ok) window.location.assign('/accounts?added=1');
    else notice(answer.error || 'That did not work.', answer.hint);
  });
}
document.querySelectorAll('button[data-remove]').forEach(button => button.addEventListener('click', async () => {
  const answer = await post('/accounts/remove', {platform: button.dataset.remove, username: button.dataset.username});
  if (answer.ok) window.location.reload();
  else notice(answer.error || 'That did not work.', answer.hint);
}));

// A run's live progress (server-sent events) and its questions.
const run = document.getElementById('run');
if (run) {
  const phase = document.getElementById('phase');
  const said = document.getElementById('said');
  const results = document.getElementById('results');
  const question = document.getElementById('question');
  let asking = null;
  const answer = async yes => {
    if (asking === null) return;
    const number = asking;
    asking = null;
    question.hidden = true;
    await post(run.dataset.answer, {id: number, yes});
    phase.textContent = yes ? 'Sending…' : 'Not sent. Going on…';
  };
  document.getElementById('yes').addEventListener('click', () => answer(true));
  document.getElementById('no').addEventListener('click', () => answer(false));
  const source = new EventSource(run.dataset.events);
  source.onmessage = message => {
    const event = JSON.parse(message.data);
    if (event.type === 'say') {
      said.append(el('li', event.text));
      phase.textContent = event.text;
    } else if (event.type === 'result') {
      const card = el('li', undefined, `card state-${event.state}`);
      card.append(el('h3', event.account ? `${event.name} — ${event.account}` : event.name),
                  el('p', event.setting, 'setting'), el('p', event.words, 'words'));
      if (event.detail) card.append(el('p', event.detail, 'detail'));
      results.append(card);
      phase.textContent = `${event.name}: ${event.words}`;
    } else if (event.type === 'confirm') {
      asking = event.id;
      document.getElementById('question-text').textContent = event.text;
      const fields = document.getElementById('question-fields');
      fields.replaceChildren();
      for (const [name, value] of event.fields) {
        fields.append(el('dt', name), el('dd', value === '' ? '(left empty)' : value));
      }
      const form = event.kind === 'form';
      document.getElementById('yes').textContent = form ? 'Send this objection' : 'Yes, switch off';
      document.getElementById('no').textContent = form ? 'Do not send it' : 'No, change nothing';
      question.hidden = false;
      document.getElementById('question-title').focus();
      phase.textContent = 'Your answer is needed below.';
    } else if (event.type === 'answered') {
      if (asking === event.id) { asking = null; question.hidden = true; }
    } else if (event.type === 'failed') {
      said.append(el('li', event.hint ? `${event.text} ${event.hint}` : event.text, 'failed'));
    } else if (event.type === 'done') {
      phase.textContent = 'Finished.';
      document.getElementById('after').hidden = false;
      if (event.handout) document.getElementById('handout-link').hidden = false;
    } else if (event.type === 'end') {
      source.close();
    }
  };
}
