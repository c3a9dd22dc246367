// The embed's texts in German and English. The banner text is what the shopper agrees to:
// it goes into the consent record (hashed by the engine) together with TEXT_VERSION, so a
// change to the banner's words must bump TEXT_VERSION.
export const TEXT_VERSION = 'emma-banner-2026-11';

const TEXTS = {
  en: {
    bannerTitle: 'Personal recommendations, kept on your device',
    bannerText:
      'May this shop remember what you look at here, to suggest products you may like? ' +
      'Your profile is encrypted and stays in this browser; nothing is sent to the shop. ' +
      'You can change your mind at any time in the privacy centre.',
    yes: 'Yes, personalise',
    no: 'No, thanks',
    more: 'Details',
    bannerLabel: 'Personalisation consent',
    savedYes: 'Personalisation is on.',
    savedNo: 'Personalisation stays off.',
    centreTitle: 'Privacy centre',
    close: 'Close',
    personalisation: 'Personalisation',
    statusOn: 'Personalisation is on: Emma keeps an encrypted profile in this browser.',
    statusOff: 'Personalisation is off: Emma stores nothing and shows what is popular.',
    statusVia: 'Decided via',
    grant: 'Allow personalisation',
    withdraw: 'Withdraw consent',
    object: 'Pause profiling (objection): show non-personalised recommendations',
    knows: 'What Emma knows',
    interests: 'Interests by category',
    items: 'Products you looked at',
    nothing: 'Nothing: Emma has no profile of you.',
    forget: 'Forget',
    why: 'Why you see these recommendations',
    noRecs: 'No recommendations are shown on this page.',
    yourData: 'Your data',
    exportBtn: 'Download my data (JSON)',
    erase: 'Erase everything',
    pass: 'Passphrase for a backup',
    backup: 'Download a backup',
    restore: 'Restore from a backup',
    erased: 'Everything Emma stored was erased.',
    records: 'Consent records',
    granted: 'granted',
    refused: 'refused',
    unavailable: 'Personalisation is not available on this page, so Emma has stored nothing.',
  },
  de: {
    bannerTitle: 'Persönliche Empfehlungen, die auf Ihrem Gerät bleiben',
    bannerText:
      'Darf sich dieser Shop merken, was Sie sich hier ansehen, um Ihnen passende Produkte vorzuschlagen? ' +
      'Ihr Profil wird verschlüsselt und bleibt in diesem Browser; nichts wird an den Shop gesendet. ' +
      'Sie können Ihre Entscheidung jederzeit im Datenschutz-Center ändern.',
    yes: 'Ja, personalisieren',
    no: 'Nein, danke',
    more: 'Details',
    bannerLabel: 'Einwilligung zur Personalisierung',
    savedYes: 'Personalisierung ist eingeschaltet.',
    savedNo: 'Personalisierung bleibt ausgeschaltet.',
    centreTitle: 'Datenschutz-Center',
    close: 'Schließen',
    personalisation: 'Personalisierung',
    statusOn: 'Personalisierung ist an: Emma führt ein verschlüsseltes Profil in diesem Browser.',
    statusOff: 'Personalisierung ist aus: Emma speichert nichts und zeigt, was beliebt ist.',
    statusVia: 'Entschieden über',
    grant: 'Personalisierung erlauben',
    withdraw: 'Einwilligung widerrufen',
    object: 'Profilbildung pausieren (Widerspruch): nicht personalisierte Empfehlungen zeigen',
    knows: 'Was Emma weiß',
    interests: 'Interessen nach Kategorie',
    items: 'Angesehene Produkte',
    nothing: 'Nichts: Emma hat kein Profil von Ihnen.',
    forget: 'Vergessen',
    why: 'Warum Sie diese Empfehlungen sehen',
    noRecs: 'Auf dieser Seite werden keine Empfehlungen gezeigt.',
    yourData: 'Ihre Daten',
    exportBtn: 'Meine Daten herunterladen (JSON)',
    erase: 'Alles löschen',
    pass: 'Passphrase für eine Sicherung',
    backup: 'Sicherung herunterladen',
    restore: 'Aus einer Sicherung wiederherstellen',
    erased: 'Alles, was Emma gespeichert hatte, wurde gelöscht.',
    records: 'Einwilligungsprotokoll',
    granted: 'erteilt',
    refused: 'abgelehnt',
    unavailable: 'Personalisierung ist auf dieser Seite nicht verfügbar; Emma hat nichts gespeichert.',
  },
};

export function pickLang(value) {
  const v = String(value || '').toLowerCase();
  return v.startsWith('de') ? 'de' : 'en';
}

export function texts(lang) {
  return TEXTS[lang] || TEXTS.en;
}

// The engine explains in English; in German the known reason kinds are translated
// (presentation only: which reasons apply is the engine's). Unknown kinds keep its text.
const GERMAN = {
  viewed: () => 'Haben Sie sich angesehen',
  bought_before: () => 'Haben Sie schon gekauft',
  category: (r) => `Sie mögen ${String(r.text).replace(/^You like /, '')}`,
  bought_with: (r) => String(r.text).replace(/^Often bought with /, 'Oft gekauft mit '),
  similar: (r) => String(r.text).replace(/^Similar to /, 'Ähnlich wie '),
  trending: (r) => (r.text === 'Trending now' ? 'Gerade gefragt' : 'Beliebt in diesem Shop'),
  popular: () => 'Beliebt in diesem Shop',
  pinned: () => 'Vom Shop hervorgehoben',
  promoted: () => 'Vom Shop beworben',
  catalog: () => 'Aus dem Sortiment',
};

export function reasonText(reason, lang) {
  const text = String(reason.text || '');
  const de = lang === 'de' && GERMAN[reason.kind];
  return de && text ? de(reason) : text;
}
