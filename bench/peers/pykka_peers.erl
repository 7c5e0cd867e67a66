%% SPDX-License-Identifier: LGPL-2.1-or-later
%%
%% pykka_peers: the workloads of pykka-bench on Erlang/OTP, written for the
%% benchmark suite of pykka-glib (see docs/performance.md), with the same
%% sizes and the same units, so that bench/compare.sh can print them side
%% by side.
%%
%%   erlc -o DIR bench/peers/pykka_peers.erl
%%   erl -noshell -noinput +S 2 -pa DIR -run pykka_peers main \
%%       -extra [--tiny] [--repeat R] [--json FILE] [WORKLOAD[=N]...]
%%
%% Workloads, as in pykka-bench:
%%   pingpong    two processes on one scheduler bounce a counter (ns/hop)
%%   threadring  100 processes on one scheduler pass a token (hops/s)
%%   counting    a process on scheduler 1 sends N messages to one on
%%               scheduler 2, then asks for the count (msgs/s)
%%   ask-thread  N request/reply round trips between a process on scheduler
%%               1 and one on scheduler 2 (us/ask); ask-thread-cpu: the CPU
%%               time of all the threads of the VM per ask (us-cpu/ask)
%%   spawn       spawn N processes, one message each, stop all, each stop
%%               acknowledged (us/actor); spawn-memory: resident memory per
%%               live process (VmRSS delta / N), measured first, while the
%%               VM is fresh (bytes/actor)
%%
%% Processes are plain: a receive loop and `!`, no gen_server. Placement
%% uses spawn_opt's {scheduler, I} (bound to scheduler I), so that "one
%% scheduler" and "another scheduler" mean what pykka-bench's "one context"
%% and "own thread" mean; each record says where its processes ran.

-module(pykka_peers).
-export([main/0, main/1]).

-define(SYSTEM, "erlang").

%% {Name, default size, tiny size}: the sizes of pykka-bench.
workloads() ->
    [{"pingpong", 2000000, 2000},
     {"threadring", 2000000, 2000},
     {"counting", 2000000, 2000},
     {"ask-thread", 20000, 100},
     {"spawn", 100000, 200}].

%% ---- measuring -----------------------------------------------------------

now_ns() -> erlang:monotonic_time(nanosecond).

%% CPU time of every thread of the VM, in ns (from /proc, ns resolution).
cpu_ns() ->
    {ok, Tasks} = file:list_dir("/proc/self/task"),
    lists:sum([task_cpu_ns(T) || T <- Tasks]).

task_cpu_ns(Task) ->
    case file:read_file("/proc/self/task/" ++ Task ++ "/schedstat") of
        {ok, Bin} ->
            [Run | _] = string:lexemes(binary_to_list(Bin), " \n"),
            list_to_integer(Run);
        _ -> 0
    end.

rss_bytes() ->
    {ok, Bin} = file:read_file("/proc/self/status"),
    [_, Rest] = string:split(binary_to_list(Bin), "VmRSS:"),
    [Kb | _] = string:lexemes(Rest, " \t\nkB"),
    list_to_integer(Kb) * 1024.

median(Values) ->
    S = lists:sort(Values),
    L = length(S),
    case L rem 2 of
        1 -> lists:nth(L div 2 + 1, S);
        0 -> (lists:nth(L div 2, S) + lists:nth(L div 2 + 1, S)) / 2
    end.

%% Runs Fun in a process bound to scheduler 1 and returns its result.
on_scheduler(Sched, Fun) ->
    Parent = self(),
    {Pid, Mon} = spawn_opt(fun() -> Parent ! {self(), Fun()} end,
                           [monitor, {scheduler, Sched}]),
    receive
        {Pid, Result} ->
            erlang:demonitor(Mon, [flush]),
            Result;
        {'DOWN', Mon, process, Pid, Reason} ->
            error({workload_failed, Reason})
    end.

scheduler() -> erlang:system_info(scheduler_id).

%% ---- pingpong and threadring -----------------------------------------------

bouncer(Parent) ->
    receive
        {peer, Peer, From} -> From ! {peer_set, self()}, bounce(Peer, Parent)
    end.

bounce(Peer, Parent) ->
    receive
        0 -> Parent ! done, bounce(Peer, Parent);
        K when is_integer(K) -> Peer ! K - 1, bounce(Peer, Parent);
        stop -> ok
    end.

%% Passes a counter Hops times around a ring of NActors processes, all on
%% scheduler 1: ns per hop.
ring(NActors, Hops) ->
    on_scheduler(1, fun() ->
        Self = self(),
        Ring = [spawn_opt(fun() -> bouncer(Self) end, [{scheduler, 1}])
                || _ <- lists:seq(1, NActors)],
        Next = tl(Ring) ++ [hd(Ring)],
        lists:foreach(fun({P, Q}) -> P ! {peer, Q, Self} end, lists:zip(Ring, Next)),
        lists:foreach(fun(P) -> receive {peer_set, P} -> ok end end, Ring),
        Start = now_ns(),
        hd(Ring) ! Hops,
        receive done -> ok end,
        End = now_ns(),
        lists:foreach(fun(P) -> P ! stop end, Ring),
        (End - Start) / (Hops + 1)
    end).

%% ---- counting --------------------------------------------------------------

counter(Count) ->
    receive
        1 -> counter(Count + 1);
        {count, From} -> From ! {count, Count, scheduler()}, counter(Count);
        stop -> ok
    end.

counting(N) ->
    on_scheduler(1, fun() ->
        C = spawn_opt(fun() -> counter(0) end, [{scheduler, 2}]),
        C ! {count, self()},
        receive {count, 0, 2} -> ok end,
        Start = now_ns(),
        send_n(C, N),
        C ! {count, self()},
        Count = receive {count, X, _} -> X end,
        End = now_ns(),
        C ! stop,
        Count =:= N orelse error({counted, Count, N}),
        N / ((End - Start) / 1.0e9)
    end).

send_n(_, 0) -> ok;
send_n(P, I) -> P ! 1, send_n(P, I - 1).

%% ---- ask-thread --------------------------------------------------------------

echo() ->
    receive
        {ask, From, Ref, X} -> From ! {Ref, X}, echo();
        {ask_where, From, Ref, X} -> From ! {Ref, X, scheduler()}, echo();
        {where, From} -> From ! {here, scheduler()}, echo();
        stop -> ok
    end.

ask_n(_, 0) -> ok;
ask_n(S, I) ->
    Ref = make_ref(),
    S ! {ask, self(), Ref, 7},
    receive {Ref, 7} -> ask_n(S, I - 1) end.

%% The same asks between two processes placed by the VM (unbound), which
%% mostly keeps them on one scheduler: {us per ask, how many of the N
%% replies came from another scheduler than the caller's}.
ask_free_n(_, 0, Cross) -> Cross;
ask_free_n(S, I, Cross) ->
    Ref = make_ref(),
    S ! {ask_where, self(), Ref, 7},
    receive
        {Ref, 7, Where} ->
            ask_free_n(S, I - 1, Cross + case scheduler() of Where -> 0; _ -> 1 end)
    end.

ask_free(N) ->
    Parent = self(),
    Caller = spawn(fun() ->
        S = spawn(fun echo/0),
        ask_free_n(S, 100, 0),
        Start = now_ns(),
        Cross = ask_free_n(S, N, 0),
        End = now_ns(),
        S ! stop,
        Parent ! {self(), (End - Start) / N / 1000, Cross}
    end),
    receive {Caller, Us, Cross} -> {Us, Cross} end.

%% {us per ask, CPU us per ask}: the caller on scheduler 1, the server on 2.
ask_thread(N) ->
    on_scheduler(1, fun() ->
        S = spawn_opt(fun echo/0, [{scheduler, 2}]),
        S ! {where, self()},
        receive {here, 2} -> ok end,
        1 = scheduler(),
        ask_n(S, 100),
        Cpu0 = cpu_ns(),
        Start = now_ns(),
        ask_n(S, N),
        End = now_ns(),
        Cpu1 = cpu_ns(),
        S ! stop,
        {(End - Start) / N / 1000, (Cpu1 - Cpu0) / N / 1000}
    end).

%% ---- spawn -------------------------------------------------------------------

sink(Parent) ->
    receive {msg, _} -> ok end,
    receive stop -> Parent ! stopped end.

stopped(0) -> ok;
stopped(K) -> receive stopped -> stopped(K - 1) end.

%% Spawns K processes from a process on scheduler 1, sends each one
%% message, stops all, each stop acknowledged: us per process.
spawn_k(K) ->
    on_scheduler(1, fun() ->
        Self = self(),
        Start = now_ns(),
        Pids = [spawn(fun() -> sink(Self) end) || _ <- lists:seq(1, K)],
        lists:foreach(fun(P) -> P ! {msg, 1} end, Pids),
        lists:foreach(fun(P) -> P ! stop end, Pids),
        stopped(K),
        (now_ns() - Start) / K / 1000
    end).

ready_sink(Parent) ->
    receive {msg, _} -> Parent ! ready end,
    receive stop -> ok end.

ready(0) -> ok;
ready(K) -> receive ready -> ready(K - 1) end.

%% Resident bytes per live process that has handled one message.
spawn_memory(K) ->
    on_scheduler(1, fun() ->
        Self = self(),
        erlang:garbage_collect(),
        Before = rss_bytes(),
        Pids = [spawn(fun() -> ready_sink(Self) end) || _ <- lists:seq(1, K)],
        lists:foreach(fun(P) -> P ! {msg, 1} end, Pids),
        ready(K),
        After = rss_bytes(),
        lists:foreach(fun(P) -> P ! stop end, Pids),
        (After - Before) / K
    end).

%% ---- driver ------------------------------------------------------------------

repeat(R, Fun) -> median([Fun() || _ <- lists:seq(1, R)]).

run("pingpong", N, R) ->
    [{"pingpong", N, repeat(R, fun() -> ring(2, N) end), "ns/hop", "one scheduler"}];
run("threadring", N, R) ->
    [{"threadring", N, repeat(R, fun() -> 1.0e9 / ring(100, N) end), "hops/s", "one scheduler"}];
run("counting", N, R) ->
    [{"counting", N, repeat(R, fun() -> counting(N) end), "msgs/s",
      "sender on scheduler 1, counter on 2"}];
run("ask-thread", N, R) ->
    Runs = [ask_thread(N) || _ <- lists:seq(1, R)],
    Where = "caller on scheduler 1, server on 2",
    [{"ask-thread", N, median([W || {W, _} <- Runs]), "us/ask", Where},
     {"ask-thread-cpu", N, median([C || {_, C} <- Runs]), "us-cpu/ask",
      Where ++ ", CPU of all VM threads"}]
        ++ begin
               Free = [ask_free(N) || _ <- lists:seq(1, R)],
               Cross = lists:sum([C || {_, C} <- Free]),
               [{"ask-thread-unbound", N, median([U || {U, _} <- Free]), "us/ask",
                 lists:flatten(io_lib:format("caller and server placed by the VM: "
                                             "~b of ~b replies from another scheduler",
                                             [Cross, N * R]))}]
           end;
run("spawn", N, R) ->
    [{"spawn", N, repeat(R, fun() -> spawn_k(N) end), "us/actor", "spawned from scheduler 1"}].

parse([], Acc) -> Acc;
parse(["--tiny" | Rest], Acc) -> parse(Rest, Acc#{tiny => true});
parse(["--repeat", R | Rest], Acc) -> parse(Rest, Acc#{repeat => max(1, list_to_integer(R))});
parse(["--json", F | Rest], Acc) -> parse(Rest, Acc#{json => F});
parse([Spec | Rest], Acc = #{chosen := Chosen}) ->
    {Name, Size} = case string:split(Spec, "=") of
                       [Nm] -> {Nm, default};
                       [Nm, S] -> {Nm, list_to_integer(S)}
                   end,
    lists:keymember(Name, 1, workloads()) orelse usage(),
    parse(Rest, Acc#{chosen := Chosen ++ [{Name, Size}]}).

usage() ->
    io:format(standard_error,
              "Usage: erl -noshell -run pykka_peers main -extra [--tiny] [--repeat R] "
              "[--json FILE] [WORKLOAD[=N]...]~nWorkloads: ~s~n",
              [string:join([W || {W, _, _} <- workloads()], ", ")]),
    halt(2).

main() -> main(init:get_plain_arguments()).

main(Args) ->
    try
        Opts = parse(Args, #{tiny => false, repeat => 3, chosen => []}),
        #{tiny := Tiny, chosen := Chosen0} = Opts,
        Repeat = case {Tiny, maps:get(repeat, Opts)} of
                     {true, 3} -> 1;
                     {_, R} -> R
                 end,
        Chosen1 = case Chosen0 of
                      [] -> [{W, default} || {W, _, _} <- workloads()];
                      _ -> Chosen0
                  end,
        Chosen = [{W, workload_size(W, S, Tiny)} || {W, S} <- Chosen1],
        erlang:system_info(schedulers_online) >= 2
            orelse error("run with at least 2 schedulers (+S 2)"),
        io:format(standard_error, "pykka_peers (Erlang/OTP ~s, ~b schedulers): ~b repetitions per figure~n",
                  [erlang:system_info(otp_release), erlang:system_info(schedulers_online), Repeat]),
        %% Memory first, while the VM's heaps are fresh.
        Memory = case lists:keyfind("spawn", 1, Chosen) of
                     {_, MN} ->
                         io:format(standard_error, "spawn-memory...~n", []),
                         [{"spawn-memory", MN, spawn_memory(MN), "bytes/actor",
                           "VmRSS delta / N, first in a fresh VM"}];
                     false -> []
                 end,
        Records = lists:append(
                    [begin
                         io:format(standard_error, "~s...~n", [W]),
                         run(W, N, Repeat)
                     end || {W, N} <- Chosen]) ++ Memory,
        print_table(Records),
        case maps:find(json, Opts) of
            {ok, File} -> ok = file:write_file(File, json(Records));
            error -> ok
        end,
        halt(0)
    catch
        Class:Reason:Stack ->
            io:format(standard_error, "pykka_peers: ~p:~p~n~p~n", [Class, Reason, Stack]),
            halt(1)
    end.

workload_size(W, default, Tiny) ->
    {W, Default, TinySize} = lists:keyfind(W, 1, workloads()),
    case Tiny of true -> TinySize; false -> Default end;
workload_size(_, N, _) -> N.

print_table(Records) ->
    io:format("~n~-22s ~-12s ~10s ~14s ~-16s~n", ["workload", "system", "n", "value", "unit"]),
    lists:foreach(fun({W, N, V, U, _}) ->
                          io:format("~-22s ~-12s ~10b ~14.3f ~-16s~n", [W, ?SYSTEM, N, float(V), U])
                  end, Records).

json(Records) ->
    Lines = [io_lib:format("  {\"workload\": \"~s\", \"system\": \"~s\", \"n\": ~b, "
                           "\"value\": ~s, \"unit\": \"~s\", \"note\": \"~s\", "
                           "\"version\": \"OTP ~s\"}",
                           [W, ?SYSTEM, N, float_to_list(float(V), [{decimals, 6}]), U, Note,
                            erlang:system_info(otp_release)])
             || {W, N, V, U, Note} <- Records],
    ["[\n", lists:join(",\n", Lines), "\n]\n"].
