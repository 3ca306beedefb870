/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-fanout: N WebSocket clients on /ws of a real `orderly --headless`
 * during a run. Prints messages delivered per second, delivery latency
 * (p50/p99), the server's CPU seconds per 100,000 delivered messages and its
 * RSS per client.
 *
 * The clients are bare non-blocking sockets on one epoll set: they read
 * frames, count them and take timestamps, and cost little next to the server.
 */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#define OPERATOR_TOKEN "bench-operator-token"
#define VIEWER_TOKEN   "bench-viewer-token"

typedef struct
{
  int      fd;
  gboolean upgraded;
  GString *buffer;
} Client;

typedef struct
{
  guint64  messages;
  guint64  bytes;
  guint64  status_messages;
  guint64  log_lines;
  GHashTable *status_seqs;      /* distinct status events the hub built */
  GArray  *status_latency_us;   /* hub serialised the status -> client read it */
  GArray  *log_latency_us;      /* line logged -> client read it */
} Stats;

static int    n_clients = 1000;
static int    seconds = 10;
static gint64 quantity = 5000000;
static char  *orderly_path = NULL;

static const GOptionEntry entries[] = {
  { "clients", 'n', 0, G_OPTION_ARG_INT, &n_clients, "WebSocket clients (1000)", "N" },
  { "seconds", 's', 0, G_OPTION_ARG_INT, &seconds, "How long to measure (10)", "S" },
  { "quantity", 'q', 0, G_OPTION_ARG_INT64, &quantity, "Orders in the run (5000000)", "Q" },
  { "orderly", 0, 0, G_OPTION_ARG_FILENAME, &orderly_path, "The orderly binary", "PATH" },
  { NULL }
};

static gint64
now_real_us (void)
{
  return g_get_real_time ();
}

static double
read_cpu (const char *path)
{
  g_autofree char *stat = NULL;
  const char *p;
  unsigned long utime = 0, stime = 0;

  if (g_file_get_contents (path, &stat, NULL, NULL) && (p = strrchr (stat, ')')) != NULL)
    sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime);
  return (double) (utime + stime) / sysconf (_SC_CLK_TCK);
}

/* The main thread runs the server and the engine's tick; the runner's
 * worker threads are apart. */
static double
read_main_thread_cpu (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/task/%d/stat", pid, pid);

  return read_cpu (path);
}

static void
read_proc (GPid     pid,
           double  *cpu_seconds,
           gsize   *rss_kib)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  g_autofree char *status = NULL;
  const char *p;
  unsigned long utime = 0, stime = 0;

  if (g_file_get_contents (path, &stat, NULL, NULL) && (p = strrchr (stat, ')')) != NULL)
    sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime);
  *cpu_seconds = (double) (utime + stime) / sysconf (_SC_CLK_TCK);

  g_free (path);
  path = g_strdup_printf ("/proc/%d/status", pid);
  *rss_kib = 0;
  if (g_file_get_contents (path, &status, NULL, NULL) && (p = strstr (status, "VmRSS:")) != NULL)
    *rss_kib = g_ascii_strtoull (p + 6, NULL, 10);
}

static int
connect_to (guint port)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (port) };
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || connect (fd, (struct sockaddr *) &address, sizeof address) < 0)
    g_error ("connect: %s", g_strerror (errno));
  return fd;
}

static void
send_all (int         fd,
          const char *data)
{
  gsize length = strlen (data);

  while (length > 0)
    {
      gssize n = send (fd, data, length, MSG_NOSIGNAL);

      if (n < 0)
        g_error ("send: %s", g_strerror (errno));
      data += n;
      length -= n;
    }
}

static char *
http_request (guint       port,
              const char *method,
              const char *path,
              const char *body)
{
  int fd = connect_to (port);
  g_autofree char *request = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                              "Authorization: Bearer " OPERATOR_TOKEN "\r\n"
                                              "Content-Type: application/json\r\n"
                                              "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                                              method, path, port, body ? strlen (body) : 0,
                                              body ? body : "");
  GString *answer = g_string_new (NULL);
  char buffer[4096];
  gssize n;

  send_all (fd, request);
  while ((n = recv (fd, buffer, sizeof buffer, 0)) > 0)
    g_string_append_len (answer, buffer, n);
  close (fd);
  return g_string_free (answer, FALSE);
}

static gint64
parse_iso_us (const char *text)
{
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *copy = NULL;
  const char *end = strchr (text, '"');

  if (end == NULL)
    return 0;
  copy = g_strndup (text, end - text);
  time = g_date_time_new_from_iso8601 (copy, NULL);
  return time != NULL ? g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time) : 0;
}

static void
handle_frame (const char *payload,
              gsize       length,
              gint64      received_us,
              Stats      *stats)
{
  stats->messages++;
  stats->bytes += length;

  if (length > 20 && strncmp (payload, "{\"event\":\"status\"", 17) == 0)
    {
      /* The status object ends with the time the hub serialised it. */
      const char *stamp = g_strrstr_len (payload, length, "\"timestamp\":\"");
      gint64 sent_us;

      stats->status_messages++;
      {
        const char *seq = g_strrstr_len (payload, length, "\"seq\":");

        if (seq != NULL)
          g_hash_table_add (stats->status_seqs, GSIZE_TO_POINTER (g_ascii_strtoull (seq + 6, NULL, 10)));
      }
      if (stamp != NULL && (sent_us = parse_iso_us (stamp + 13)) > 0)
        {
          gint64 latency = received_us - sent_us;

          g_array_append_val (stats->status_latency_us, latency);
        }
    }
  else if (length > 20 && strncmp (payload, "{\"event\":\"logs\"", 15) == 0)
    {
      const char *p = payload;
      const char *end = payload + length;

      while ((p = g_strstr_len (p, end - p, "\"timestamp\":")) != NULL)
        {
          gint64 logged_ms = g_ascii_strtoll (p + 12, NULL, 10);
          gint64 latency = received_us - logged_ms * 1000;

          stats->log_lines++;
          if (stats->log_lines % 7 == 0)
            g_array_append_val (stats->log_latency_us, latency);
          p += 12;
        }
    }
}

/* Reads what has arrived; returns FALSE when the server closed. */
static gboolean
client_read (Client *client,
             Stats  *stats)
{
  char chunk[65536];
  gint64 received_us;

  for (;;)
    {
      gssize n = recv (client->fd, chunk, sizeof chunk, 0);

      if (n == 0)
        return FALSE;
      if (n < 0)
        {
          if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
          return FALSE;
        }
      g_string_append_len (client->buffer, chunk, n);
    }

  received_us = now_real_us ();
  if (!client->upgraded)
    {
      const char *end = g_strstr_len (client->buffer->str, client->buffer->len, "\r\n\r\n");

      if (end == NULL)
        return TRUE;
      if (!g_str_has_prefix (client->buffer->str, "HTTP/1.1 101"))
        g_error ("upgrade refused: %.80s", client->buffer->str);
      g_string_erase (client->buffer, 0, end + 4 - client->buffer->str);
      client->upgraded = TRUE;
    }

  for (;;)
    {
      const guint8 *data = (const guint8 *) client->buffer->str;
      gsize available = client->buffer->len;
      guint64 length;
      gsize header = 2;
      guint opcode;

      if (available < 2)
        break;
      opcode = data[0] & 0x0f;
      length = data[1] & 0x7f;
      if (length == 126)
        {
          if (available < 4)
            break;
          length = (data[2] << 8) | data[3];
          header = 4;
        }
      else if (length == 127)
        {
          if (available < 10)
            break;
          length = 0;
          for (int i = 0; i < 8; i++)
            length = (length << 8) | data[2 + i];
          header = 10;
        }
      if (available < header + length)
        break;
      if (opcode == 1)
        handle_frame ((const char *) data + header, length, received_us, stats);
      else if (opcode == 8)
        return FALSE;
      g_string_erase (client->buffer, 0, header + length);
    }
  return TRUE;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile_ms (GArray *values,
               double  fraction)
{
  if (values->len == 0)
    return 0;
  g_array_sort (values, compare_gint64);
  return g_array_index (values, gint64, MIN ((guint) (fraction * values->len), values->len - 1)) / 1000.0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— WebSocket fan-out benchmark");
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *body = NULL;
  g_autofree char *answer = NULL;
  char *child_argv[12];
  char **child_env;
  GPid pid;
  int out_fd;
  GString *line = g_string_new (NULL);
  guint port = 0;
  Client *clients;
  int epoll_fd;
  Stats stats = { 0 };
  double cpu_idle, cpu_start, cpu_end, main_start, main_end;
  gsize rss_idle, rss_connected, rss_end;
  gint64 start_us, end_us, deadline;
  guint n_upgraded = 0, n_closed = 0;
  struct rlimit limit;
  char c;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (orderly_path == NULL)
    orderly_path = g_strdup (ORDERLY_BIN);
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
  signal (SIGPIPE, SIG_IGN);

  data_dir = g_dir_make_tmp ("bench-fanout-XXXXXX", &error);
  g_assert_no_error (error);
  child_argv[0] = orderly_path;
  child_argv[1] = (char *) "--headless";
  child_argv[2] = (char *) "--port";
  child_argv[3] = (char *) "0";
  child_argv[4] = (char *) "--bind";
  child_argv[5] = (char *) "127.0.0.1";
  child_argv[6] = (char *) "--data-dir";
  child_argv[7] = data_dir;
  child_argv[8] = NULL;
  child_env = g_get_environ ();
  child_env = g_environ_setenv (child_env, "ORDERLY_OPERATOR_TOKEN", OPERATOR_TOKEN, TRUE);
  child_env = g_environ_setenv (child_env, "ORDERLY_VIEWER_TOKEN", VIEWER_TOKEN, TRUE);
  if (!g_spawn_async_with_pipes (NULL, child_argv, child_env, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                 &pid, NULL, &out_fd, NULL, &error))
    g_error ("cannot start %s: %s", orderly_path, error->message);

  while (read (out_fd, &c, 1) == 1)
    {
      if (c != '\n')
        {
          g_string_append_c (line, c);
          continue;
        }
      if (g_str_has_prefix (line->str, "Orderly listening on http://127.0.0.1:"))
        {
          port = atoi (line->str + strlen ("Orderly listening on http://127.0.0.1:"));
          break;
        }
      g_string_truncate (line, 0);
    }
  if (port == 0)
    g_error ("the server did not print its listening line");
  g_usleep (200 * 1000);
  read_proc (pid, &cpu_idle, &rss_idle);

  /* Connect every client. */
  epoll_fd = epoll_create1 (0);
  clients = g_new0 (Client, n_clients);
  stats.status_latency_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  stats.log_latency_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  stats.status_seqs = g_hash_table_new (NULL, NULL);
  for (int i = 0; i < n_clients; i++)
    {
      g_autofree char *request = g_strdup_printf ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                                  "Sec-WebSocket-Version: 13\r\n"
                                                  "Authorization: Bearer " VIEWER_TOKEN "\r\n\r\n", port);
      struct epoll_event event = { .events = EPOLLIN, .data.u32 = i };

      clients[i].fd = connect_to (port);
      clients[i].buffer = g_string_new (NULL);
      send_all (clients[i].fd, request);
      g_unix_set_fd_nonblocking (clients[i].fd, TRUE, NULL);
      epoll_ctl (epoll_fd, EPOLL_CTL_ADD, clients[i].fd, &event);
    }

  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (n_upgraded < (guint) n_clients && g_get_monotonic_time () < deadline)
    {
      struct epoll_event events[256];
      int n = epoll_wait (epoll_fd, events, G_N_ELEMENTS (events), 100);

      for (int i = 0; i < n; i++)
        {
          Client *client = &clients[events[i].data.u32];
          gboolean was = client->upgraded;

          client_read (client, &stats);
          if (!was && client->upgraded)
            n_upgraded++;
        }
    }
  g_usleep (500 * 1000);
  read_proc (pid, &cpu_start, &rss_connected);
  memset (&stats, 0, G_STRUCT_OFFSET (Stats, status_seqs));
  g_hash_table_remove_all (stats.status_seqs);
  g_array_set_size (stats.status_latency_us, 0);
  g_array_set_size (stats.log_latency_us, 0);

  /* Start a run and measure. */
  body = g_strdup_printf ("{\"quantity\": %" G_GINT64_FORMAT ", \"force\": true}", quantity);
  answer = http_request (port, "POST", "/generate", body);
  if (strstr (answer, " 202 ") == NULL)
    g_error ("the run did not start: %s", answer);

  start_us = g_get_monotonic_time ();
  read_proc (pid, &cpu_start, &rss_connected);
  main_start = read_main_thread_cpu (pid);
  deadline = start_us + seconds * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      struct epoll_event events[256];
      int n = epoll_wait (epoll_fd, events, G_N_ELEMENTS (events), 50);

      for (int i = 0; i < n; i++)
        {
          Client *client = &clients[events[i].data.u32];

          if (client->fd >= 0 && !client_read (client, &stats))
            {
              epoll_ctl (epoll_fd, EPOLL_CTL_DEL, client->fd, NULL);
              close (client->fd);
              client->fd = -1;
              n_closed++;
            }
        }
    }
  end_us = g_get_monotonic_time ();
  read_proc (pid, &cpu_end, &rss_end);
  main_end = read_main_thread_cpu (pid);

  {
    double elapsed = (end_us - start_us) / 1e6;
    double cpu = cpu_end - cpu_start;
    g_autofree char *status = http_request (port, "GET", "/pedidos", NULL);
    const char *phase = strstr (status, "\"phase\":\"");

    g_print ("bench-fanout: %d clients (%u upgraded, %u closed by the server), %.1f s of a run of "
             "%" G_GINT64_FORMAT " orders (phase now %.20s)\n",
             n_clients, n_upgraded, n_closed, elapsed, quantity, phase ? phase + 9 : "?");
    g_print ("  messages delivered:     %" G_GUINT64_FORMAT " (%.0f/s), %.1f MB; %" G_GUINT64_FORMAT
             " status frames, %" G_GUINT64_FORMAT " log lines\n",
             stats.messages, stats.messages / elapsed, stats.bytes / 1e6, stats.status_messages,
             stats.log_lines);
    g_print ("  status events:          %u built by the hub, each client got %.1f%% of them "
             "(the rest skipped as stale: latest wins)\n",
             g_hash_table_size (stats.status_seqs),
             g_hash_table_size (stats.status_seqs) > 0
             ? 100.0 * stats.status_messages / ((double) g_hash_table_size (stats.status_seqs) * n_clients) : 0);
    g_print ("  status latency:         p50 %.2f ms, p99 %.2f ms (hub serialised -> client read)\n",
             percentile_ms (stats.status_latency_us, 0.50), percentile_ms (stats.status_latency_us, 0.99));
    g_print ("  log line latency:       p50 %.2f ms, p99 %.2f ms (line logged -> client read, "
             "includes the tick)\n",
             percentile_ms (stats.log_latency_us, 0.50), percentile_ms (stats.log_latency_us, 0.99));
    g_print ("  server CPU:             %.2f s in %.1f s (main thread %.2f s, the rest is the run's workers)\n",
             cpu, elapsed, main_end - main_start);
    g_print ("  CPU per 100k messages:  %.3f s of the main thread (%.3f s of the whole process)\n",
             stats.messages > 0 ? (main_end - main_start) / (stats.messages / 100000.0) : 0,
             stats.messages > 0 ? cpu / (stats.messages / 100000.0) : 0);
    {
      struct rusage usage;

      getrusage (RUSAGE_SELF, &usage);
      g_print ("  client CPU (this bench): %.2f s user, %.2f s system\n",
               usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6,
               usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6);
    }
    g_print ("  server RSS:             %zu KiB idle, %zu KiB with the clients, %zu KiB at the end; "
             "%.1f KiB per client\n",
             rss_idle, rss_connected, rss_end, (double) (rss_connected - rss_idle) / n_clients);
  }

  kill (pid, SIGTERM);
  waitpid (pid, NULL, 0);
  for (int i = 0; i < n_clients; i++)
    {
      if (clients[i].fd >= 0)
        close (clients[i].fd);
      g_string_free (clients[i].buffer, TRUE);
    }
  {
    g_autoptr(GFile) dir = g_file_new_for_path (data_dir);
    g_autoptr(GFileEnumerator) children = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                                                     G_FILE_QUERY_INFO_NONE, NULL, NULL);
    GFileInfo *info;

    while (children != NULL && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
      {
        g_autoptr(GFile) child = g_file_get_child (dir, g_file_info_get_name (info));

        g_file_delete (child, NULL, NULL);
        g_object_unref (info);
      }
    g_file_delete (dir, NULL, NULL);
  }
  g_strfreev (child_env);
  g_free (clients);
  return 0;
}
