/*
 * <hogo-consent> — hogo's consent notice for member sites (v1). No dependencies, no build step.
 *
 *   <script type="module" src="https://HOGO/embed/v1/hogo-consent.js"
 *           integrity="sha384-…" crossorigin="anonymous"></script>
 *   <hogo-consent endpoint="https://HOGO" token="MEMBER-JWT" lang="ja"></hogo-consent>
 *
 * It decides nothing itself: it asks hogo what to show this member (POST /api/v1/embed/notice
 * with the member site's token), shows the notice and a preferences dialog, and posts the
 * member's choices back with hogo's single-use ticket. Purposes left unanswered are not sent.
 * Events: `hogo-consent-ready` (detail: {count}), `hogo-consent-recorded` (detail: {choices}),
 * `hogo-consent-dismissed`, `hogo-consent-error` (detail: {status}).
 */

const UI = {
  ja: {
    region: "個人情報の取扱いについてのお知らせ",
    review: "内容を確認して選ぶ",
    later: "後で",
    dialogClose: "閉じる",
    grant: "同意する",
    deny: "同意しない",
    save: "選択を送信",
    saved: "選択を記録しました。",
    failed: "記録できませんでした。時間をおいて再度お試しください。",
    language: "English",
    privacy: "プライバシーセンター(詳しい説明・同意の変更)",
    choose: "選択",
    country: "国",
    transmissions: "外部送信についての公表ページ",
  },
  en: {
    region: "Notice about your personal information",
    review: "Review and choose",
    later: "Later",
    dialogClose: "Close",
    grant: "I agree",
    deny: "I do not agree",
    save: "Send my choices",
    saved: "Your choices have been recorded.",
    failed: "Could not record your choices. Please try again later.",
    language: "日本語",
    privacy: "Privacy center (details, change your consent)",
    choose: "Choice",
    country: "Country",
    transmissions: "The published page on information sent to others",
  },
};

const CSS = `
:host { all: initial; display: block; font-family: system-ui, "Hiragino Sans", "Noto Sans CJK JP", sans-serif;
  color: #1a1a1a; line-height: 1.6; font-size: 16px; }
.banner { box-sizing: border-box; max-width: 100%; border: 2px solid #1a4f8b; border-radius: 8px; padding: 1rem;
  background: #fff; }
.banner h2, dialog h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
.banner ul { margin: .25rem 0 .75rem 1.25rem; padding: 0; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: .75rem; }
button { font: inherit; min-height: 44px; padding: .4rem 1rem; border-radius: 6px; border: 2px solid #1a4f8b;
  background: #fff; color: #1a4f8b; cursor: pointer; }
button.primary { background: #1a4f8b; color: #fff; }
button:focus-visible, input:focus-visible, a:focus-visible { outline: 3px solid #c45500; outline-offset: 2px; }
dialog { box-sizing: border-box; width: min(40rem, calc(100vw - 1rem)); max-height: calc(100vh - 1rem);
  padding: 1rem; border: 2px solid #1a4f8b; border-radius: 8px; overflow: auto; }
dialog::backdrop { background: rgba(0, 0, 0, .45); }
fieldset { border: 1px solid #888; border-radius: 6px; margin: 0 0 1rem; padding: .5rem .75rem; min-width: 0; }
legend { font-weight: 700; padding: 0 .25rem; }
dl { margin: .25rem 0; } dt { font-weight: 600; margin-top: .35rem; } dd { margin: 0 0 0 1rem; overflow-wrap: anywhere; }
label { display: inline-flex; align-items: center; gap: .35rem; min-height: 44px; margin-right: 1rem; }
input[type=radio] { width: 1.25rem; height: 1.25rem; }
.status { margin-top: .5rem; font-weight: 600; }
details.transmissions { margin: 0 0 1rem; } summary { cursor: pointer; min-height: 44px; font-weight: 600; }
a { color: #1a4f8b; }
`;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

class HogoConsent extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    this.shadowRoot.adoptedStyleSheets = [sheet];
    this.answer = null;
    this.lang = "ja";
    this.uid = `hogo-${Math.random().toString(36).slice(2, 9)}`;
  }

  connectedCallback() {
    this.lang = this.getAttribute("lang") === "en" ? "en" : "ja";
    const token = this.getAttribute("token");
    if (!token) return; // anonymous visitors: nothing is asked or recorded (docs/consent-notice.md)
    this.removeAttribute("token"); // single use; keep it out of the DOM
    this.load(token);
  }

  get endpoint() {
    return (this.getAttribute("endpoint") || "").replace(/\/$/, "");
  }

  async post(path, bearer, body) {
    return fetch(`${this.endpoint}/api/v1/embed/${path}`, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  async load(token) {
    let response;
    try {
      response = await this.post("notice", token, { gpc: navigator.globalPrivacyControl === true });
    } catch (e) {
      this.emit("hogo-consent-error", { status: 0 });
      return;
    }
    if (!response.ok) {
      this.emit("hogo-consent-error", { status: response.status });
      return;
    }
    this.answer = await response.json();
    const count = this.answer.notices.ja.sections.length;
    this.emit("hogo-consent-ready", { count });
    if (count) this.render();
  }

  emit(name, detail = {}) {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  get notice() {
    return this.answer.notices[this.lang];
  }

  get ui() {
    return UI[this.lang];
  }

  render() {
    const root = this.shadowRoot;
    const chosen = this.currentChoices();
    root.replaceChildren(this.banner(), this.dialog(chosen));
  }

  banner() {
    const n = this.notice;
    const ui = this.ui;
    const headingId = `${this.uid}-banner-h`;
    this.opener = el("button", { type: "button", class: "primary", text: ui.review, onclick: () => this.open() });
    return el(
      "section",
      { class: "banner", role: "region", "aria-labelledby": headingId, lang: this.lang },
      el("h2", { id: headingId, text: n.heading }),
      el("p", { text: n.lead }),
      el("ul", {}, ...n.sections.map((s) => el("li", { text: s.title }))),
      el(
        "div",
        { class: "actions" },
        this.opener,
        el("button", { type: "button", text: ui.later, onclick: () => this.dismiss() }),
        el("button", { type: "button", class: "language", text: ui.language, lang: this.lang === "ja" ? "en" : "ja", onclick: () => this.switchLanguage() }),
      ),
      el("p", { class: "status", role: "status", "aria-live": "polite" }),
    );
  }

  section(s, chosen) {
    const n = this.notice;
    const ui = this.ui;
    const name = `${this.uid}-${s.purpose_id}`;
    const details = el("dl");
    if (s.description) details.append(el("dd", { text: s.description }));
    details.append(el("dt", { text: n.labels.data }), el("dd", { text: s.data_items.join("、") || "—" }));
    if (s.recipients.length) {
      details.append(el("dt", { text: n.labels.recipients }));
      for (const r of s.recipients) {
        details.append(el("dd", { text: `${r.name}(${r.relationship}・${ui.country}: ${r.country_name})` }));
        if (r.foreign_transfer) {
          details.append(
            el("dt", { text: n.labels.foreign }),
            el("dd", { text: `${ui.country}: ${r.country_name}` }),
            el("dd", { text: `${n.labels.regime}: ${r.regime || n.labels.undeclared}` }),
            el("dd", { text: `${n.labels.measures}: ${r.measures || n.labels.undeclared}` }),
          );
          if (/^https:\/\//.test(r.source_url)) {
            details.append(el("dd", {}, el("a", { href: r.source_url, target: "_blank", rel: "noopener", text: r.source_url })));
          }
        }
      }
    }
    const radio = (value, text) => {
      const input = el("input", { type: "radio", name, value });
      input.checked = chosen[s.purpose_id] === value;
      return el("label", {}, input, document.createTextNode(text));
    };
    return el(
      "fieldset",
      { "data-purpose": s.purpose_id },
      el("legend", { text: s.title }),
      details,
      el("div", { role: "group", "aria-label": `${s.title}: ${ui.choose}` }, radio("grant", ui.grant), radio("deny", ui.deny)),
    );
  }

  // 外部送信 (電気通信事業法27条の12): what the site's tags send, to whom, for what; folded, with
  // the published page hogo serves linked for the full text.
  transmissions(t) {
    const list = el("dl");
    for (const x of t.items) {
      list.append(
        el("dt", { text: x.tool }),
        el("dd", { text: `${t.labels.recipient}: ${x.recipient}` }),
        el("dd", { text: `${t.labels.information}: ${x.information.join(this.lang === "ja" ? "、" : ", ")}` }),
        el("dd", { text: `${t.labels.purpose}: ${x.purpose}` }),
      );
      if (x.necessary_for_service) list.append(el("dd", { text: t.labels.necessary }));
      if (/^https:\/\//.test(x.opt_out_url)) {
        list.append(el("dd", {}, el("a", { href: x.opt_out_url, target: "_blank", rel: "noopener", text: t.labels.opt_out })));
      }
    }
    const page = `${this.endpoint}/external-transmissions?lang=${this.lang}`;
    return el(
      "details",
      { class: "transmissions" },
      el("summary", { text: t.heading }),
      el("p", { text: t.lead }),
      list,
      el("p", {}, el("a", { href: page, target: "_blank", rel: "noopener", text: this.ui.transmissions })),
    );
  }

  dialog(chosen) {
    const n = this.notice;
    const ui = this.ui;
    const titleId = `${this.uid}-dialog-h`;
    const descId = `${this.uid}-dialog-d`;
    const form = el("form", { method: "dialog", onsubmit: (e) => this.submit(e) });
    form.append(...n.sections.map((s) => this.section(s, chosen)));
    if (n.external_transmissions) form.append(this.transmissions(n.external_transmissions));
    if (this.answer.privacy_center_url) {
      form.append(el("p", {}, el("a", { href: this.answer.privacy_center_url, target: "_blank", rel: "noopener", text: ui.privacy })));
    }
    form.append(
      el(
        "div",
        { class: "actions" },
        el("button", { type: "submit", class: "primary", text: ui.save }),
        el("button", { type: "button", text: ui.dialogClose, onclick: () => this.close() }),
      ),
    );
    this.dialogEl = el(
      "dialog",
      { "aria-labelledby": titleId, "aria-describedby": descId, "aria-modal": "true", lang: this.lang },
      el("h2", { id: titleId, text: n.heading }),
      el("p", { id: descId, text: n.lead }),
      form,
    );
    this.dialogEl.addEventListener("close", () => this.opener && this.opener.focus());
    return this.dialogEl;
  }

  currentChoices() {
    const chosen = {};
    for (const input of this.shadowRoot.querySelectorAll("input[type=radio]:checked")) {
      chosen[input.closest("fieldset").dataset.purpose] = input.value;
    }
    return chosen;
  }

  open() {
    this.dialogEl.showModal();
    const first = this.dialogEl.querySelector("input");
    if (first) first.focus();
  }

  close() {
    this.dialogEl.close();
  }

  switchLanguage() {
    this.lang = this.lang === "ja" ? "en" : "ja";
    this.render();
    this.shadowRoot.querySelector("button.language").focus();
  }

  dismiss() {
    this.shadowRoot.replaceChildren();
    this.post("dismissed", this.answer.ticket, {}).catch(() => null);
    this.emit("hogo-consent-dismissed");
  }

  status(text) {
    const node = this.shadowRoot.querySelector(".status");
    if (node) node.textContent = text;
  }

  async submit(event) {
    event.preventDefault();
    const chosen = this.currentChoices();
    const choices = Object.entries(chosen).map(([purpose_id, action]) => ({ purpose_id, action }));
    this.close();
    if (!choices.length) return; // nothing answered: nothing is recorded
    const response = await this.post("choices", this.answer.ticket, { choices, language: this.lang }).catch(() => null);
    if (!response || !response.ok) {
      this.status(this.ui.failed);
      this.emit("hogo-consent-error", { status: response ? response.status : 0 });
      return;
    }
    const banner = this.shadowRoot.querySelector(".banner");
    for (const node of banner.querySelectorAll("ul, .actions")) node.remove();
    this.status(this.ui.saved);
    this.emit("hogo-consent-recorded", { choices });
  }
}

if (!customElements.get("hogo-consent")) customElements.define("hogo-consent", HogoConsent);
