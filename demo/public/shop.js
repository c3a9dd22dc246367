// The demo shop's own page script (a classic file: the pages run under a strict CSP).
// It holds the embed's queue stub, the cart, the "simulate a shopper" control and the
// panel of requests. Everything about the shopper goes through window.emma (the embed).
window.emma = window.emma || function () { (window.emma.q = window.emma.q || []).push(arguments); };
// Placeholders that keep a slot's space (shop.css .skeleton) make sense only where scripts run.
document.documentElement.classList.add('js');

(function () {
  'use strict';
  var CART = 'demo-cart';

  function readCart() {
    try {
      return JSON.parse(sessionStorage.getItem(CART) || '[]');
    } catch (e) {
      return [];
    }
  }

  function text(tag, value, cls) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    node.textContent = value;
    return node;
  }

  // --- the panel of requests: every resource this page fetched ---------------------------
  function watchRequests() {
    var list = document.getElementById('request-list');
    if (!list || typeof PerformanceObserver !== 'function') return;
    var count = 0;
    var foreign = 0;
    function add(entry) {
      var url = new URL(entry.name, location.href);
      var same = url.origin === location.origin;
      count += 1;
      if (!same) foreign += 1;
      var row = document.createElement('tr');
      row.setAttribute('data-request', url.href);
      row.append(text('td', same ? url.pathname + url.search : url.href), text('td', entry.initiatorType || 'document'),
        text('td', String(entry.transferSize || entry.encodedBodySize || 0)), text('td', same ? 'yes' : 'NO', same ? 'ok' : 'bad'));
      list.append(row);
      document.getElementById('request-count').textContent = String(count);
      document.getElementById('request-verdict').textContent = foreign ? '— ' + foreign + ' to other origins!' : '— all from this shop';
    }
    performance.getEntriesByType('navigation').forEach(add);
    new PerformanceObserver(function (l) { l.getEntries().forEach(add); }).observe({ type: 'resource', buffered: true });
  }

  // --- the cart (sessionStorage, created on the first "Add to cart") -----------------------
  function showCart() {
    var cart = readCart();
    var count = document.getElementById('cart-count');
    if (count) count.textContent = String(cart.length);
    var list = document.getElementById('cart-items');
    if (!list) return;
    if (cart.length) {
      list.replaceChildren.apply(list, cart.map(function (line) {
        var li = document.createElement('li');
        var a = text('a', line.title);
        a.href = '/product/' + encodeURIComponent(line.id);
        li.append(a, text('span', ' ' + line.price, 'price'));
        return li;
      }));
      var slot = document.querySelector('#together [data-emma-slot]');
      if (slot) slot.setAttribute('data-emma-items', cart.map(function (line) { return line.id; }).join(' '));
    }
  }

  document.addEventListener('click', function (e) {
    var add = e.target.closest && e.target.closest('[data-cart-add]');
    if (!add) return;
    var cart = readCart();
    cart.push({ id: add.getAttribute('data-cart-add'), title: add.getAttribute('data-title'), price: add.getAttribute('data-price') });
    sessionStorage.setItem(CART, JSON.stringify(cart));
    showCart();
    var status = document.getElementById('cart-status');
    if (status) status.textContent = 'Added to your cart.';
  });

  // --- simulate a shopper ----------------------------------------------------------------
  function simulate(e) {
    e.preventDefault();
    var option = document.getElementById('persona').selectedOptions[0];
    var status = document.getElementById('simulate-status');
    var items = option.getAttribute('data-items').split(' ');
    window.emma('consent.state', function (err, state) {
      if (err) {
        status.textContent = 'Personalisation is unavailable here (' + (err.code || err.message) + ').';
        return;
      }
      if (!state.personalization.granted) {
        status.textContent = 'Allow personalisation first (banner or privacy centre): without consent Emma keeps nothing.';
        return;
      }
      var done = 0;
      items.forEach(function (item) {
        window.emma('track', { type: 'view', item: item }, function () {
          done += 1;
          if (done === items.length) {
            window.emma('fill', function () {
              status.textContent = 'Viewed ' + items.length + ' products in ' + option.value + '; the recommendations on this page were updated.';
            });
          }
        });
      });
    });
  }

  // A returning customer: one real customer's orders (demo/returning-shopper.json), shifted
  // so that the data's cut-off is today; the intervals between the orders are theirs.
  function simulateReturning() {
    var button = document.getElementById('simulate-returning');
    var status = document.getElementById('simulate-status');
    var data = JSON.parse(button.getAttribute('data-orders'));
    var shift = Date.now() - Date.parse(data.until + 'T00:00:00Z');
    var events = [];
    data.orders.forEach(function (o) {
      var at = Date.parse(o.day + 'T10:00:00Z') + shift;
      o.items.forEach(function (item) { events.push({ type: 'purchase', item: item, at: at }); });
    });
    window.emma('consent.state', function (err, state) {
      if (err || !state.personalization.granted) {
        status.textContent = err ? 'Personalisation is unavailable here (' + (err.code || err.message) + ').' : 'Allow personalisation first (banner or privacy centre): without consent Emma keeps nothing.';
        return;
      }
      var next = function (i) {
        if (i === events.length) {
          window.emma('fill', function () {
            status.textContent = 'Replayed ' + data.orders.length + ' orders (' + events.length + ' lines) of a returning customer; the page was updated.';
            document.dispatchEvent(new CustomEvent('demo:returning'));
          });
          return;
        }
        window.emma('track', events[i], function () { next(i + 1); });
      };
      next(0);
    });
  }

  // The category list's order: the shop's (popularity) until Emma personalises it.
  document.addEventListener('emma:filled', function () {
    var list = document.querySelector('[data-emma-rerank]');
    var note = document.getElementById('order-note');
    if (list && note) note.textContent = list.getAttribute('data-emma-state') === 'personalized' ? 'Sorted for you (on this device).' : 'Sorted by popularity.';
  });

  // The privacy page's opt-in to audience statistics (docs/insights.md): the text shown is
  // what the consent record's hash proves.
  function shareInsights() {
    var text = document.getElementById('insights-text');
    var status = document.getElementById('insights-status');
    window.emma('consent.grant', 'insights', { version: 'demo-insights-2026-11', text: text ? text.textContent : '', source: 'api', lang: 'en' }, function (err) {
      if (status) status.textContent = err ? 'Not saved: ' + err.message : 'Thank you: one noised report a day will be sent while you allow personalisation too.';
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var share = document.getElementById('share-insights');
    if (share) share.addEventListener('click', shareInsights);
    watchRequests();
    showCart();
    var form = document.getElementById('simulate');
    if (form) form.addEventListener('submit', simulate);
    var returning = document.getElementById('simulate-returning');
    if (returning) returning.addEventListener('click', simulateReturning);
  });
})();
