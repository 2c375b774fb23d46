"""Whether a name starts like a request: "unlock Front Door", "Öffne Garage", "ouvre la porte".

A device learnt from the bus whose name begins with an action word would capture the request
that says it: a switch called "unlock Front Door" is what "unlock front door" names, and the
templates match names before they guess. Such a name is refused (``hub.discovery.guard``).

The words are the imperatives and infinitives a request starts with, in the languages hub's
templates and glossaries speak, folded as ``normalize_name`` folds them. They are listed here
rather than taken from ``hub/llm/glossary``: the glossary also glosses nouns into verbs
("Türschloss" is "lock" there), and those are ordinary device names. Leading articles and
politeness ("the", "please", "bitte") are skipped first, so "please unlock the door" is caught.
"""

from __future__ import annotations

from hub.text.fold import normalize_name

_WORDS = {
    "en": """turn switch set open close shut lock unlock unbolt start stop arm disarm activate
        deactivate enable disable toggle dim brighten raise lower increase decrease trigger""",
    "de": """schalte schalt schalten schaltet mach mache machen macht stell stelle stellen setz
        setze setzen öffne öffnen öffnet schließ schließe schließen schließt verriegle verriegel
        verriegeln entriegle entriegel entriegeln entsperre entsperren sperr sperre sperren
        aufschließen abschließen aufsperren starte starten stoppe stoppen beende beenden
        aktiviere aktivieren deaktiviere deaktivieren dimme dimmen dreh drehe drehen
        einschalten ausschalten anschalten abschalten unscharf""",
    "fr": """allume allumer éteins éteindre ouvre ouvrir ferme fermer verrouille verrouiller
        déverrouille déverrouiller démarre démarrer arrête arrêter active activer désactive
        désactiver désarme désarmer arme armer mets mettre règle régler baisse baisser monte
        monter lance lancer""",
    "es": """enciende encender apaga apagar abre abrir cierra cerrar bloquea bloquear desbloquea
        desbloquear activa activar desactiva desactivar desarma desarmar arma armar pon poner
        arranca arrancar detén detener para sube subir baja bajar ajusta ajustar inicia""",
    "it": """accendi spegni apri chiudi blocca sblocca attiva disattiva disarma imposta avvia
        ferma alza abbassa""",
    "nl": """zet doe sluit vergrendel ontgrendel schakel activeer deactiveer""",
    "pt": """liga ligue ligar desliga desligue desligar abra abrir feche fecha fechar tranca
        trave destranca destrave desbloqueie desbloquear ative ativar desative desativar
        desarme""",
}
ACTION_WORDS = frozenset(
    normalize_name(word) for words in _WORDS.values() for word in words.split()
)
# Skipped before the first word: articles and politeness ("s'il vous plaît" folds to "s il ...")
_FILLERS = frozenset(
    word
    for words in (
        "the a an please pls kindly",  # en
        "bitte der die das den",  # de
        "le la les l s il vous plait",  # fr
        "el los las por favor",  # es
        "il lo gli per piacere",  # it
        "de het een",  # nl
        "o os as",  # pt
    )
    for word in words.split()
)


def action_word(name: str) -> str | None:
    """The action word ``name`` starts with (after articles and politeness), or None."""
    for word in normalize_name(name).split():
        if word in _FILLERS:
            continue
        return word if word in ACTION_WORDS else None
    return None
