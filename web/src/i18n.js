// The embed's texts in German and English (the privacy centre's own are in centre-texts.js,
// loaded with the centre). The banner text is what the shopper agrees to:
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
const swap = (from, to) => (r) => String(r.text).replace(from, to);
const GERMAN = {
  viewed: () => 'Haben Sie sich angesehen',
  bought_before: () => 'Haben Sie schon gekauft',
  category: swap(/^You like /, 'Sie mögen '),
  bought_with: swap(/^Often bought with /, 'Oft gekauft mit '),
  similar: swap(/^Similar to /, 'Ähnlich wie '),
  same_kind: swap(/^Same kind: /, 'Gleiche Art: '),
  same_brand: swap(/^Also from /, 'Auch von '),
  similar_price: () => 'Ähnlicher Preis',
  your_brand: swap(/^A brand you like: /, 'Eine Marke, die Sie mögen: '),
  your_price: () => 'In Ihrer üblichen Preislage',
  trending: (r) => (r.text === 'Trending now' ? 'Gerade gefragt' : 'Beliebt in diesem Shop'),
  popular: () => 'Beliebt in diesem Shop',
  pinned: () => 'Vom Shop hervorgehoben',
  promoted: () => 'Vom Shop beworben',
  catalog: () => 'Aus dem Sortiment',
  reorder: (r) => `${r.basis === 'own' ? 'Sie bestellen das etwa alle ' : r.basis === 'shop' ? 'Kunden bestellen das etwa alle ' : 'Schon gekauft'}${r.every_days ? span(r.every_days, 'Tage') : ''}; zuletzt vor ${span(r.last_days, 'Tagen')}`,
  in_cart: () => 'Noch in Ihrem Warenkorb',
  cart: () => 'Passt zu Ihrem Warenkorb',
  brand: (r) => `Sie mögen ${r.brand}`,
  basket: () => 'Ihr Warenkorb erfüllt die Bedingung',
  offer: () => 'Ein aktuelles Angebot dieses Shops',
  segment: () => 'Für Kundinnen und Kunden wie Sie ausgewählt',
  date: () => 'Nur für kurze Zeit',
  default: () => 'Die Standardauswahl des Shops',
};

// "5 Wochen", "10 Tage" / "10 Tagen" (as the engine's English: weeks from 14 days on)
const span = (days, unit) => (days < 14 ? `${days} ${unit}` : `${Math.round(days / 7)} Wochen`);

export function reasonText(reason, lang) {
  const text = String(reason.text || '');
  const de = lang === 'de' && GERMAN[reason.kind];
  return de && text ? de(reason) : text;
}
