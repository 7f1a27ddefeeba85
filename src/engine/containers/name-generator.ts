import { randomInt } from 'node:crypto';

// A short version of docker's namesgenerator lists: an adjective and a notable scientist.
const LEFT = [
  'admiring', 'adoring', 'affectionate', 'amazing', 'awesome', 'blissful', 'bold', 'brave', 'charming', 'clever',
  'compassionate', 'competent', 'confident', 'cool', 'dazzling', 'determined', 'eager', 'ecstatic', 'elastic', 'elegant',
  'eloquent', 'epic', 'exciting', 'fervent', 'festive', 'focused', 'friendly', 'frosty', 'funny', 'gallant', 'gifted',
  'goofy', 'gracious', 'happy', 'hardcore', 'heuristic', 'hopeful', 'hungry', 'infallible', 'inspiring', 'jolly',
  'jovial', 'keen', 'kind', 'laughing', 'loving', 'lucid', 'magical', 'modest', 'musing', 'nervous', 'nice', 'nifty',
  'nostalgic', 'objective', 'optimistic', 'peaceful', 'pedantic', 'pensive', 'practical', 'priceless', 'quirky',
  'quizzical', 'relaxed', 'reverent', 'romantic', 'serene', 'sharp', 'silly', 'sleepy', 'stoic', 'strange', 'sweet',
  'tender', 'thirsty', 'trusting', 'upbeat', 'vibrant', 'vigilant', 'vigorous', 'wizardly', 'wonderful', 'youthful', 'zealous', 'zen',
];
const RIGHT = [
  'agnesi', 'albattani', 'allen', 'archimedes', 'babbage', 'banach', 'bardeen', 'bartik', 'bassi', 'bell', 'bhabha',
  'blackwell', 'bohr', 'booth', 'borg', 'bose', 'brahmagupta', 'brattain', 'brown', 'carson', 'cerf', 'chandrasekhar',
  'clarke', 'curie', 'darwin', 'davinci', 'dijkstra', 'dirac', 'einstein', 'elion', 'engelbart', 'euclid', 'euler',
  'faraday', 'fermat', 'fermi', 'feynman', 'franklin', 'galileo', 'gauss', 'goldberg', 'goodall', 'hamilton', 'hawking',
  'heisenberg', 'hermann', 'hodgkin', 'hopper', 'hypatia', 'jang', 'johnson', 'kalam', 'kepler', 'khorana', 'knuth',
  'kowalevski', 'lamarr', 'leakey', 'lovelace', 'lumiere', 'mahavira', 'mayer', 'mccarthy', 'meitner', 'mendel',
  'mirzakhani', 'morse', 'napier', 'newton', 'nobel', 'noether', 'pare', 'pascal', 'pasteur', 'payne', 'perlman',
  'pike', 'poincare', 'ptolemy', 'ramanujan', 'ritchie', 'rosalind', 'sammet', 'shannon', 'shockley', 'sinoussi',
  'stonebraker', 'swanson', 'tesla', 'thompson', 'torvalds', 'turing', 'volhard', 'wescoff', 'wiles', 'williams', 'wozniak', 'wright', 'yalow', 'yonath',
];

/** `adjective_scientist`, with a digit appended on retries, as docker's generator does. */
export function randomName(retry: number): string {
  const name = `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}`;
  return retry > 0 ? `${name}${randomInt(10)}` : name;
}
