// The embed script's page engines: the embed has no consent.texts option (its banner's grants
// carry their own text), so its reader stays out of every shop page (consent_texts.cpp has it).
#include "consent.hpp"
#include "engine.hpp"
#include "error.hpp"

namespace emma {

void Engine::configure_consent_texts(const json& msg) {
  if (msg.contains("consent_texts")) throw Error(code::unsupported, "consent.texts: not in the embed script; use the npm package");
}
void Engine::name_consent_texts(const SignalReading&, std::size_t) {}

}  // namespace emma
