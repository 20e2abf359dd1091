// The PostgreSQL store's pool of connections (store/postgres/pool.hpp).
#include "store/postgres/pool.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "store/postgres/schema.hpp"

namespace callmem {

PgStore::Pool::Pool(PgOptions o)
    : options_(std::move(o)),
      slots_(static_cast<std::size_t>(std::max(options_.pool_size, 0)),
             "postgres: all " + std::to_string(options_.pool_size) + " connections are in use") {
  auto first = std::make_unique<postgres::Connection>();
  postgres::dial(*first, options_.dsn, "connect");
  postgres::migrate(first->pg, options_);
  postgres::set_up(first->pg, options_);
  slots_.add(std::move(first));
}

postgres::Lease PgStore::Pool::acquire(const std::shared_ptr<Pool>& pool) {
  Pool& p = *pool;
  postgres::Lease c(pool, p.slots_.take(std::chrono::milliseconds(p.options_.busy_timeout_ms)));
  if (c) {
    if (!c->ok()) p.revive(c);
    return c;
  }
  // A new connection in the slot taken; should it fail, the slot is freed.
  c.reset(std::make_unique<postgres::Connection>());
  c.set_broken();
  postgres::dial(*c, p.options_.dsn, "connect");
  postgres::set_up(c->pg, p.options_);
  c.set_healthy();
  return c;
}

void PgStore::Pool::revive(postgres::Lease& c) {
  c.set_broken();  // half set up, it would not be given back
  postgres::dial(*c, options_.dsn, "reconnect");
  postgres::set_up(c->pg, options_);
  c.set_healthy();
}

void PgStore::Pool::give_back(std::unique_ptr<postgres::Connection> c, bool broken) noexcept {
  if (c && (broken || !c->ok())) c.reset();  // closed outside the lock
  slots_.put(std::move(c));
}

}  // namespace callmem
