// Errors that cross the engine boundary. Every failure the engine can report is an
// emma::Error with a stable code (part of the public API: EmmaError.code in JS) and a
// message that says what was wrong and where.
#pragma once
#include <stdexcept>
#include <string>

namespace emma {

// Stable error codes. Shops switch on these strings; never rename one.
namespace code {
inline constexpr const char* bad_request = "BAD_REQUEST";   // malformed control message
inline constexpr const char* bad_bundle = "BAD_BUNDLE";     // bundle/catalog refused
inline constexpr const char* bad_event = "BAD_EVENT";       // track() input refused
inline constexpr const char* bad_consent = "BAD_CONSENT";   // consent call refused
inline constexpr const char* no_bundle = "NO_BUNDLE";       // needs a catalog first
inline constexpr const char* no_consent = "NO_CONSENT";     // purpose not granted
inline constexpr const char* no_key = "NO_KEY";             // vault has no data key
inline constexpr const char* tampered = "TAMPERED";         // sealed data failed authentication
inline constexpr const char* wrong_key = "WRONG_KEY";       // sealed under another key id
inline constexpr const char* unsupported = "UNSUPPORTED";   // newer format than this engine
inline constexpr const char* bad_backup = "BAD_BACKUP";     // not a backup, or truncated
inline constexpr const char* wrong_passphrase = "WRONG_PASSPHRASE";  // the secret does not open the backup
inline constexpr const char* out_of_memory = "OUT_OF_MEMORY";
inline constexpr const char* internal = "INTERNAL";
}  // namespace code

class Error : public std::runtime_error {
 public:
  Error(std::string error_code, const std::string& message)
      : std::runtime_error(message), code_(std::move(error_code)) {}
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

}  // namespace emma
