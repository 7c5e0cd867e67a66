// SPDX-License-Identifier: LGPL-2.1-or-later
// Errors in Vala: with `using Pykka;`, `Error` is still GLib.Error and
// the library's own error domain is Pykka.ActorError.
using Pykka;

class Account : Actor {
    private int balance = 0;

    public override bool on_receive (Value message, out Value reply) throws Error {
        var amount = (int) message;
        if (balance + amount < 0) {
            throw new ActorError.INVALID_ARGUMENT ("%d cannot pay %d", balance, -amount);
        }
        balance += amount;
        reply = balance;
        return true;
    }
}

// tell() fails only when the actor is dead, with ActorError.ACTOR_DEAD:
// a method that declares it lets it go on, like any other error.
void deposit (ActorRef account, int amount) throws ActorError {
    account.tell (amount);
}

int main () {
    try {
        var account = new Account ().start ();
        deposit (account, 10);
        var balance = (int) account.ask (5).get (5000);
        print ("balance: %d\n", balance);  // 15

        // A handler's error reaches the asker, domain and code intact.
        var refused = false;
        try {
            account.ask (-100).get (5000);
        } catch (ActorError.INVALID_ARGUMENT e) {
            print ("refused: %s\n", e.message);
            refused = true;
        }
        account.stop_sync (5000);

        // Elsewhere, catch ActorError where you tell: the message was not
        // queued, and nothing will handle it.
        var sent = true;
        try {
            account.tell (1);
        } catch (ActorError e) {
            print ("not sent: %s\n", e.message);
            sent = !(e is ActorError.ACTOR_DEAD);
        }
        return balance == 15 && refused && !sent ? 0 : 1;
    } catch (Error e) {
        printerr ("%s\n", e.message);
        return 1;
    }
}
