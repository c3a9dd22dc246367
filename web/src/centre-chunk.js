// Entry of emma-centre.js, the privacy centre as its own file: the embed loads it when a
// shopper opens the centre (embed.js, loadCentre), so a page view does not download it. It
// hands its `open` to the embed under a registry symbol (no other global).
import { open } from './centre.js';
import { centreTexts } from './centre-texts.js';

window[Symbol.for('tante-emma.centre')] = (ctx, opener) => open({ ...ctx, t: { ...ctx.t, ...centreTexts(ctx.lang) } }, opener);
