// "Redis keyed by ANI" (redis_ani.hpp), over hiredis.
#include "redis_ani.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "uuid.hpp"

namespace peers {

namespace {

constexpr long long kTtlSeconds = bench::kTtl / 1000;

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

Reply next_reply(redisContext* c) {
  void* r = nullptr;
  if (redisGetReply(c, &r) != REDIS_OK || r == nullptr)
    throw std::runtime_error(fmt::format("Redis: {}", c->errstr[0] ? c->errstr : "no reply"));
  Reply reply(static_cast<redisReply*>(r));
  if (reply->type == REDIS_REPLY_ERROR)
    throw std::runtime_error(fmt::format("Redis: {}", std::string_view(reply->str, reply->len)));
  return reply;
}

}  // namespace

RedisAni::RedisAni(const std::string& host, int port) {
  ctx_ = redisConnect(host.c_str(), port);
  if (ctx_ == nullptr || ctx_->err)
    throw std::runtime_error(
        fmt::format("Redis: cannot connect to {}:{}: {}", host, port, ctx_ ? ctx_->errstr : "out of memory"));
}

RedisAni::~RedisAni() { redisFree(ctx_); }

void RedisAni::populate(std::int64_t n, const bench::Population& pop, bool reuse) {
  if (reuse) {
    redisAppendCommand(ctx_, "DBSIZE");
    if (next_reply(ctx_)->integer >= n) return;
  }
  redisAppendCommand(ctx_, "FLUSHALL");
  next_reply(ctx_);
  const bench::Millis now = bench::now_ms();
  constexpr std::int64_t kPipeline = 1000;
  for (std::int64_t b = 0; b < n; b += kPipeline) {
    const std::int64_t e = std::min(n, b + kPipeline);
    for (std::int64_t i = b; i < e; ++i) {
      const bench::CustomerData d = bench::customer_data(i, n, pop);
      const std::string key = "c:" + bench::ani_of(i);
      const std::string ref = callmem::uuid_v4();
      std::vector<std::string> args = {"HSET", key, "ref", ref};
      if (!d.open_intent.empty()) {
        args.push_back("intent:" + d.open_intent);
        args.push_back(fmt::format(R"({{"status":"open","attempts":{}}})", d.open_attempts));
      }
      if (!d.resolved_intent.empty()) {
        args.push_back("intent:" + d.resolved_intent);
        args.push_back(R"({"status":"resolved","attempts":1})");
      }
      for (const auto& [k, v] : d.variables) {
        args.push_back("var:" + k);
        args.push_back(v);
      }
      std::vector<const char*> argv;
      std::vector<std::size_t> lens;
      for (const std::string& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
      }
      redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data());
      const long long left = (d.call_end + bench::kTtl - now) / 1000;
      redisAppendCommand(ctx_, "EXPIRE %b %lld", key.data(), key.size(), left > 0 ? left : 1);
    }
    for (std::int64_t i = b; i < e; ++i) {
      next_reply(ctx_);
      next_reply(ctx_);
    }
  }
}

std::size_t RedisAni::start(const StartOp& op) {
  const std::string key = "c:" + op.ani;
  const std::string call = "k:" + op.call_id;
  redisAppendCommand(ctx_, "HGETALL %b", key.data(), key.size());
  redisAppendCommand(ctx_, "SET %b %b EX %lld", call.data(), call.size(), op.ani.data(), op.ani.size(),
                     kTtlSeconds);
  redisAppendCommand(ctx_, "EXPIRE %b %lld", key.data(), key.size(), kTtlSeconds);
  const Reply all = next_reply(ctx_);
  next_reply(ctx_);
  next_reply(ctx_);
  std::size_t answer = 0;
  for (std::size_t i = 0; i < all->elements; ++i) answer += all->element[i]->len;
  if (all->elements == 0) {
    // A new number: give it a ref (a second round trip).
    redisAppendCommand(ctx_, "HSET %b ref %b", key.data(), key.size(), op.new_ref.data(), op.new_ref.size());
    redisAppendCommand(ctx_, "EXPIRE %b %lld", key.data(), key.size(), kTtlSeconds);
    next_reply(ctx_);
    next_reply(ctx_);
    answer = op.new_ref.size();
  }
  return answer;
}

std::size_t RedisAni::end(const EndOp& op) {
  const std::string call = "k:" + op.call_id;
  redisAppendCommand(ctx_, "GET %b", call.data(), call.size());
  const Reply ani = next_reply(ctx_);
  if (ani->type != REDIS_REPLY_STRING) throw std::runtime_error("Redis: no call " + op.call_id);
  const std::string key = "c:" + std::string(ani->str, ani->len);
  const std::string intent = "intent:" + op.intent;
  redisAppendCommand(ctx_, "HSET %b %b %s var:name %b var:last_order %b", key.data(), key.size(),
                     intent.data(), intent.size(), R"({"status":"open"})", op.name.data(), op.name.size(),
                     op.order.data(), op.order.size());
  redisAppendCommand(ctx_, "EXPIRE %b %lld", key.data(), key.size(), kTtlSeconds);
  next_reply(ctx_);
  next_reply(ctx_);
  return key.size();
}

double RedisAni::info_field(const char* section, const char* field) {
  redisAppendCommand(ctx_, "INFO %s", section);
  const Reply info = next_reply(ctx_);
  const std::string text(info->str, info->len);
  const std::string needle = std::string(field) + ":";
  const std::size_t at = text.find(needle);
  if (at == std::string::npos) return 0;
  return std::strtod(text.c_str() + at + needle.size(), nullptr);
}

Footprint RedisAni::footprint() {
  return {info_field("persistence", "aof_current_size"), info_field("memory", "used_memory")};
}

std::optional<double> RedisAni::log_bytes() { return info_field("persistence", "aof_current_size"); }

}  // namespace peers
