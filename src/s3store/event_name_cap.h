// EventNameCap: limits.max_event_names_per_app_per_day for storage: s3, across every worker
// process and host that writes the same prefix. The bucket itself remembers which names an
// app used each day: one marker object per (day, app, name) (s3store/object_keys.h,
// NameMarkerKey). docs/DATA-FORMAT.md, "Storage in S3", gives the layout and the guarantee.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/status.h"

namespace itslog {

// The three S3 requests the cap needs, so that it can be tested without a server.
class NameMarkerStore {
 public:
  virtual ~NameMarkerStore() = default;
  // Creates the object at key with If-None-Match: *. OK when it was created and when it was
  // there already (412); any other failure as the S3 client gives it.
  virtual Status CreateMarker(const std::string& key, const std::string& body) = 0;
  // Whether an object exists at key (HEAD); a failure as the S3 client gives it.
  virtual Result<bool> Exists(const std::string& key) = 0;
  // Calls visit with every key under prefix (ListObjectsV2, every page).
  virtual Status List(const std::string& prefix,
                      const std::function<void(std::string_view key)>& visit) = 0;
};

// Thread-safe. Remembers, per process, the names it has seen for each app on the last two
// days, so that a name it knows costs no request. Admitting a name it does not know costs a
// listing of the app's markers that day (one request per 1000 names) and, for a new name, the
// creation of its marker; once the listing showed the app at the cap, a name it does not know
// costs one HEAD (a marker another writer created meanwhile still admits it). Within one
// process, admissions of new names of one app happen one at a time.
class EventNameCap {
 public:
  // prefix: s3.prefix. max_names: the cap, at least 1.
  EventNameCap(std::string prefix, int64_t max_names);

  // OK when app may store an event named event on day: the name is known (its marker exists)
  // or was admitted now (its marker created). Fails kUnprocessable "too_many_event_names"
  // (field "event") when the app already has max_names other names that day, or with the
  // store's Status when S3 fails (nothing is remembered then). Blocks for the requests.
  Status Admit(NameMarkerStore* store, const std::string& day, const std::string& app,
               const std::string& event);

 private:
  struct AppNames;
  std::shared_ptr<AppNames> Find(const std::string& day, const std::string& app);
  Status TooMany(const std::string& app, const std::string& event, size_t names) const;

  const std::string prefix_;
  const int64_t max_names_;
  std::mutex mu_;  // guards days_ and every AppNames's known and full
  std::map<std::string, std::map<std::string, std::shared_ptr<AppNames>>> days_;
};

}  // namespace itslog
